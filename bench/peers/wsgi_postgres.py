"""gunicorn (sync worker) + psycopg: one row by key from PostgreSQL per request, the peer of
bench/database-apps/postgres.lua. One connection per worker process, opened at its first request."""
import os
import random

import psycopg

connection = None


def app(environ, start_response):
    global connection
    if connection is None:
        connection = psycopg.connect(os.environ["BENCH_DATABASE_DSN"], autocommit=True)
    row = connection.execute("SELECT id, name, score FROM items WHERE id = %s", (random.randint(1, 10000),)).fetchone()
    body = row[1].encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
