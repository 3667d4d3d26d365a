/*
 * luagw.sqlite's connection (SPEC 13) on the system's libsqlite3: open with WAL and a busy
 * timeout, run a statement with bound parameters and encode what it answers as one buffer
 * that luagw's Lua side decodes with string.unpack (database.lua). Prepared statements are
 * kept per connection (the last LUAGW_SQLITE_CACHE by use). No Lua here: these run on a
 * thread of the database pool, one connection on one thread at a time.
 *
 * Parameters in ("<" little-endian, as string.pack writes them): u32 count, then per value
 * a tag byte and its payload: 0 null, 1 int64, 2 double, 3 u32 length + bytes, 4 one byte
 * (a boolean). Rows out: 'R', u32 columns, each u32 length + name, u32 rows, then each cell
 * as a tag and payload (tags 0-3). An exec's result: 'E', int64 changes, int64 last id.
 */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "CLuaGatewayBridge.h"

#define LUAGW_SQLITE_CACHE 32

typedef struct {
    char *sql;
    size_t length;
    sqlite3_stmt *statement;
    unsigned long used;
} cached_statement;

struct luagw_sqlite {
    sqlite3 *db;
    cached_statement cache[LUAGW_SQLITE_CACHE];
    unsigned long uses;
};

/* ---- the output buffer ---- */

static int grow(luagw_out *out, size_t more) {
    if (out->length + more <= out->capacity) return 1;
    size_t capacity = out->capacity ? out->capacity : 256;
    while (capacity < out->length + more) capacity *= 2;
    unsigned char *data = realloc(out->data, capacity);
    if (!data) return 0;
    out->data = data;
    out->capacity = capacity;
    return 1;
}

static int put(luagw_out *out, const void *bytes, size_t length) {
    if (!grow(out, length)) return 0;
    if (length) memcpy(out->data + out->length, bytes, length);
    out->length += length;
    return 1;
}

static int put_u8(luagw_out *out, unsigned char byte) { return put(out, &byte, 1); }
static int put_u32(luagw_out *out, uint32_t n) { return put(out, &n, 4); }  /* x86_64 and arm64: little-endian */
static int put_i64(luagw_out *out, int64_t n) { return put(out, &n, 8); }
static int put_string(luagw_out *out, const void *bytes, size_t length) {
    return put_u32(out, (uint32_t)length) && put(out, bytes, length);
}

/* Replaces what `out` holds with a message. */
static int fail(luagw_out *out, const char *message) {
    out->length = 0;
    put(out, message, strlen(message));
    return 1;
}

void luagw_out_free(luagw_out *out) {
    free(out->data);
    out->data = NULL;
    out->length = out->capacity = 0;
}

/* ---- opening and closing ---- */

luagw_sqlite *luagw_sqlite_open(const char *path, int readonly, int busy_ms, luagw_out *error) {
    sqlite3 *db = NULL;
    int flags = (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
        fail(error, db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, busy_ms);
    sqlite3_extended_result_codes(db, 1);
    /* WAL: readers never wait for the writer; NORMAL is WAL's durable-enough setting (as Rails and Django choose). */
    if (!readonly && sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL", NULL, NULL, NULL) != SQLITE_OK) {
        fail(error, sqlite3_errmsg(db));
        sqlite3_close(db);
        return NULL;
    }
    luagw_sqlite *connection = calloc(1, sizeof *connection);
    if (!connection) {
        fail(error, "out of memory");
        sqlite3_close(db);
        return NULL;
    }
    connection->db = db;
    return connection;
}

void luagw_sqlite_interrupt(luagw_sqlite *connection) {
    sqlite3_interrupt(connection->db);
}

void luagw_sqlite_close(luagw_sqlite *connection) {
    if (!connection) return;
    for (int i = 0; i < LUAGW_SQLITE_CACHE; i++) {
        sqlite3_finalize(connection->cache[i].statement);
        free(connection->cache[i].sql);
    }
    sqlite3_close_v2(connection->db);
    free(connection);
}

/* ---- the statement cache ---- */

/* The prepared statement for the first statement of `sql`, kept for next time; `*rest` points
   after it. NULL with the message in `out` when it does not prepare, or with `out` empty when
   there is no statement left (white space and comments). */
static sqlite3_stmt *prepare(luagw_sqlite *c, const char *sql, size_t length, const char **rest, luagw_out *out) {
    cached_statement *oldest = &c->cache[0];
    for (int i = 0; i < LUAGW_SQLITE_CACHE; i++) {
        cached_statement *entry = &c->cache[i];
        /* The whole of `sql`, or its first statement up to its ';' (a script's first statement). */
        int fits = entry->length == length || (entry->length < length && entry->length > 0 && entry->sql[entry->length - 1] == ';');
        if (entry->statement && fits && memcmp(entry->sql, sql, entry->length) == 0) {
            entry->used = ++c->uses;
            *rest = sql + entry->length;
            return entry->statement;
        }
        if (entry->used < oldest->used) oldest = entry;
    }
    sqlite3_stmt *statement = NULL;
    if (sqlite3_prepare_v3(c->db, sql, (int)length, SQLITE_PREPARE_PERSISTENT, &statement, rest) != SQLITE_OK) {
        fail(out, sqlite3_errmsg(c->db));
        return NULL;
    }
    if (!statement) return NULL;  /* only comments or white space */
    size_t used = (size_t)(*rest - sql);
    char *copy = malloc(used ? used : 1);
    if (!copy) return statement;  /* not cached: finalized by the caller */
    memcpy(copy, sql, used);
    sqlite3_finalize(oldest->statement);
    free(oldest->sql);
    *oldest = (cached_statement){ copy, used, statement, ++c->uses };
    return statement;
}

static int is_cached(luagw_sqlite *c, sqlite3_stmt *statement) {
    for (int i = 0; i < LUAGW_SQLITE_CACHE; i++) {
        if (c->cache[i].statement == statement) return 1;
    }
    return 0;
}

static void done_with(luagw_sqlite *c, sqlite3_stmt *statement) {
    if (is_cached(c, statement)) {
        sqlite3_reset(statement);
        sqlite3_clear_bindings(statement);
    } else {
        sqlite3_finalize(statement);
    }
}

/* ---- binding and stepping ---- */

static int read_bytes(const unsigned char **p, const unsigned char *end, void *into, size_t n) {
    if ((size_t)(end - *p) < n) return 0;
    memcpy(into, *p, n);
    *p += n;
    return 1;
}

/* Binds the encoded parameters; 0 with a message in `out` when they do not fit the statement. */
static int bind(sqlite3 *db, sqlite3_stmt *statement, const unsigned char *params, size_t length, luagw_out *out) {
    const unsigned char *p = params, *end = params + length;
    uint32_t count = 0;
    if (!read_bytes(&p, end, &count, 4)) return !fail(out, "luagw: malformed parameters");
    if ((int)count != sqlite3_bind_parameter_count(statement)) {
        char message[128];
        snprintf(message, sizeof message, "%u parameters given, the statement has %d", count,
                 sqlite3_bind_parameter_count(statement));
        return !fail(out, message);
    }
    for (int i = 1; i <= (int)count; i++) {
        unsigned char tag = 0;
        int status = SQLITE_OK;
        if (!read_bytes(&p, end, &tag, 1)) return !fail(out, "luagw: malformed parameters");
        if (tag == 0) {
            status = sqlite3_bind_null(statement, i);
        } else if (tag == 1) {
            int64_t n;
            if (!read_bytes(&p, end, &n, 8)) return !fail(out, "luagw: malformed parameters");
            status = sqlite3_bind_int64(statement, i, n);
        } else if (tag == 2) {
            double d;
            if (!read_bytes(&p, end, &d, 8)) return !fail(out, "luagw: malformed parameters");
            status = sqlite3_bind_double(statement, i, d);
        } else if (tag == 3) {
            uint32_t n;
            if (!read_bytes(&p, end, &n, 4) || (size_t)(end - p) < n) return !fail(out, "luagw: malformed parameters");
            status = sqlite3_bind_text(statement, i, (const char *)p, (int)n, SQLITE_TRANSIENT);
            p += n;
        } else if (tag == 4) {
            unsigned char b;
            if (!read_bytes(&p, end, &b, 1)) return !fail(out, "luagw: malformed parameters");
            status = sqlite3_bind_int(statement, i, b);
        } else {
            return !fail(out, "luagw: malformed parameters");
        }
        if (status != SQLITE_OK) return !fail(out, sqlite3_errmsg(db));
    }
    return 1;
}

/* Steps `statement` to its end, its rows encoded into `out` (when `rows`). 0 on failure, with the message. */
static int step(sqlite3 *db, sqlite3_stmt *statement, int rows, luagw_out *out) {
    int columns = sqlite3_column_count(statement);
    size_t count_at = 0;
    uint32_t count = 0;
    if (rows) {
        out->length = 0;
        if (!put_u8(out, 'R') || !put_u32(out, (uint32_t)columns)) return !fail(out, "out of memory");
        for (int i = 0; i < columns; i++) {
            const char *name = sqlite3_column_name(statement, i);
            if (!name || !put_string(out, name, strlen(name))) return !fail(out, "out of memory");
        }
        count_at = out->length;
        if (!put_u32(out, 0)) return !fail(out, "out of memory");
    }
    int status;
    while ((status = sqlite3_step(statement)) == SQLITE_ROW) {
        if (!rows) continue;
        count++;
        for (int i = 0; i < columns; i++) {
            int ok = 1;
            switch (sqlite3_column_type(statement, i)) {
            case SQLITE_NULL:
                ok = put_u8(out, 0);
                break;
            case SQLITE_INTEGER:
                ok = put_u8(out, 1) && put_i64(out, sqlite3_column_int64(statement, i));
                break;
            case SQLITE_FLOAT: {
                double d = sqlite3_column_double(statement, i);
                ok = put_u8(out, 2) && put(out, &d, 8);
                break;
            }
            default: {  /* text and blobs: bytes */
                const void *bytes = sqlite3_column_blob(statement, i);
                ok = put_u8(out, 3) && put_string(out, bytes, (size_t)sqlite3_column_bytes(statement, i));
            }
            }
            if (!ok) return !fail(out, "out of memory");
        }
    }
    if (status != SQLITE_DONE) return !fail(out, sqlite3_errmsg(db));
    if (rows) memcpy(out->data + count_at, &count, 4);
    return 1;
}

int luagw_sqlite_run(luagw_sqlite *c, const char *sql, size_t length, const unsigned char *params, size_t params_length,
                     int exec, int reads_only, luagw_out *out) {
    out->length = 0;
    const char *end = sql + length;
    int first = 1;
    while (sql < end) {
        const char *rest = NULL;
        sqlite3_stmt *statement = prepare(c, sql, (size_t)(end - sql), &rest, out);
        if (!statement) {
            if (out->length > 0) return 1;
            if (first) return fail(out, "no statement in the SQL");
            break;
        }
        if (reads_only && !sqlite3_stmt_readonly(statement)) {  /* for the writer's connection */
            done_with(c, statement);
            return 2;
        }
        /* Parameters bind to the first statement; a script of several (a migration) takes none
           after it. A query answers the rows of its last statement. */
        int ok = first ? bind(c->db, statement, params, params_length, out)
                       : (params_length <= 4 || !fail(out, "parameters are bound to one statement, not to several"));
        ok = ok && step(c->db, statement, !exec, out);
        done_with(c, statement);
        if (!ok) return 1;
        first = 0;
        sql = rest;
    }
    if (exec) {
        out->length = 0;
        if (!put_u8(out, 'E') || !put_i64(out, sqlite3_changes64(c->db)) || !put_i64(out, sqlite3_last_insert_rowid(c->db))) {
            return fail(out, "out of memory");
        }
    }
    return 0;
}

/* ---- at a script's top level ---- */

#define SQLITE_NOW "luagw.sqlite_now"

/* What a top-level call holds, freed by its __gc if a push raises. */
typedef struct {
    luagw_sqlite *connection;
    luagw_out out;
} sqlite_now_state;

static void sqlite_now_release(sqlite_now_state *state) {
    luagw_sqlite_close(state->connection);
    state->connection = NULL;
    luagw_out_free(&state->out);
}

static int sqlite_now_gc(lua_State *L) {
    sqlite_now_release((sqlite_now_state *)luaL_checkudata(L, 1, SQLITE_NOW));
    return 0;
}

/// sqlite_now(path, readonly, busy_ms, sql, params, exec): a statement run at once on a
/// connection of its own, for a script's top level, which cannot wait (a schema). The encoded
/// answer, or nil and SQLite's message. [-0, +2, m]
int luagw_sqlite_now(lua_State *L) {
    const char *path = luaL_checkstring(L, 1);
    int readonly = lua_toboolean(L, 2);
    int busy_ms = (int)luaL_checkinteger(L, 3);
    size_t sql_length, params_length;
    const char *sql = luaL_checklstring(L, 4, &sql_length);
    const char *params = luaL_checklstring(L, 5, &params_length);
    int exec = lua_toboolean(L, 6);
    sqlite_now_state *state = (sqlite_now_state *)lua_newuserdatauv(L, sizeof *state, 0);  /* state */
    memset(state, 0, sizeof *state);
    if (luaL_newmetatable(L, SQLITE_NOW)) {                                                  /* state mt */
        lua_pushcfunction(L, sqlite_now_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);                                                                 /* state */
    state->connection = luagw_sqlite_open(path, readonly, busy_ms, &state->out);
    int status = state->connection
        ? luagw_sqlite_run(state->connection, sql, sql_length, (const unsigned char *)params, params_length, exec, 0, &state->out)
        : 1;
    if (status == 0) {
        lua_pushlstring(L, (const char *)state->out.data, state->out.length);  /* state answer */
        lua_pushnil(L);                                                        /* state answer nil */
    } else {
        lua_pushnil(L);                                                        /* state nil */
        lua_pushlstring(L, (const char *)state->out.data, state->out.length);  /* state nil message */
    }
    sqlite_now_release(state);
    return 2;
}
