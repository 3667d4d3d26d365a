"""gunicorn (sync worker): the benchmark's workloads as a WSGI application."""
import re

HELLO = b"Hello, world!\n"
BODY64K = b"x" * 65536
CHUNK = b"s" * 1024


def app(environ, start_response):
    path = environ.get("PATH_INFO", "")
    if path == "/body64k":
        body = [BODY64K]
    elif path == "/echo":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = [environ["wsgi.input"].read(length)]
    elif path == "/stream":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return (CHUNK for _ in range(64))
    elif path == "/query":
        match = re.search(r"name=([^&]*)", environ.get("QUERY_STRING", ""))
        name = match.group(1) if match else ""
        body = [("%s %s %s" % (name, environ.get("HTTP_X_ONE", ""), environ.get("HTTP_X_TWO", ""))).encode()]
    else:
        body = [HELLO]
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body[0])))])
    return body
