// luagw.web.gzip's compression (SPEC 8), in C with the system's zlib: a gzip stream as a Lua
// object, fed a chunk at a time so that a streamed body is never collected first.
#include "CLuaGatewayBridge.h"
#include <string.h>
#include <zlib.h>

#define GZIP_STREAM "luagw.gzip_stream"
#define GZIP_OUT 16384

typedef struct gzip_stream {
    z_stream z;
    int open;   /* deflateInit2 succeeded and deflateEnd has not run */
} gzip_stream;

static gzip_stream *check_stream(lua_State *L) {
    gzip_stream *s = (gzip_stream *)luaL_checkudata(L, 1, GZIP_STREAM);
    if (!s->open) luaL_error(L, "gzip: the stream is finished");
    return s;
}

/// Deflates `n` bytes at `in` with `flush`; pushes what came out. [-0, +1, m|v]
static void deflate_into(lua_State *L, gzip_stream *s, const char *in, size_t n, int flush) {
    luaL_Buffer b;
    luaL_buffinit(L, &b);                              /* ... [buffer] */
    s->z.next_in = (Bytef *)in;
    s->z.avail_in = (uInt)n;
    do {
        char *out = luaL_prepbuffsize(&b, GZIP_OUT);
        s->z.next_out = (Bytef *)out;
        s->z.avail_out = GZIP_OUT;
        if (deflate(&s->z, flush) == Z_STREAM_ERROR) luaL_error(L, "gzip: deflate failed");
        luaL_addsize(&b, GZIP_OUT - s->z.avail_out);
    } while (s->z.avail_out == 0);
    luaL_pushresult(&b);                               /* ... out */
}

/// stream:compress(chunk): the gzip bytes of `chunk`, flushed so that the client can use them
/// at once (Z_SYNC_FLUSH). [-2, +1, v]
static int stream_compress(lua_State *L) {
    gzip_stream *s = check_stream(L);
    size_t n;
    const char *in = luaL_checklstring(L, 2, &n);     /* stream chunk */
    deflate_into(L, s, in, n, Z_SYNC_FLUSH);           /* stream chunk out */
    return 1;
}

/// stream:finish([chunk]): the last gzip bytes (of `chunk`, if given, then the trailer); the
/// stream is finished. [-1|2, +1, v]
static int stream_finish(lua_State *L) {
    gzip_stream *s = check_stream(L);
    size_t n = 0;
    const char *in = luaL_optlstring(L, 2, "", &n);   /* stream [chunk] */
    deflate_into(L, s, in, n, Z_FINISH);               /* stream [chunk] out */
    deflateEnd(&s->z);
    s->open = 0;
    return 1;
}

/// __gc and __close: releases zlib's memory if the stream was not finished. [-1, +0, -]
static int stream_release(lua_State *L) {
    gzip_stream *s = (gzip_stream *)luaL_checkudata(L, 1, GZIP_STREAM);
    if (s->open) deflateEnd(&s->z);
    s->open = 0;
    return 0;
}

/// gzip_stream([level]): a new gzip stream (level 1-9, default 6). [-0|1, +1, m|v]
int luagw_gzip_stream(lua_State *L) {
    int level = (int)luaL_optinteger(L, 1, 6);
    luaL_argcheck(L, level >= 1 && level <= 9, 1, "a level from 1 to 9 expected");
    gzip_stream *s = (gzip_stream *)lua_newuserdatauv(L, sizeof *s, 0);  /* [level] s */
    s->open = 0;
    memset(&s->z, 0, sizeof s->z);
    if (luaL_newmetatable(L, GZIP_STREAM)) {           /* [level] s mt */
        static const luaL_Reg methods[] = {
            { "compress", stream_compress }, { "finish", stream_finish }, { NULL, NULL },
        };
        luaL_newlib(L, methods);                       /* [level] s mt methods */
        lua_setfield(L, -2, "__index");                /* [level] s mt */
        lua_pushcfunction(L, stream_release);          /* [level] s mt release */
        lua_setfield(L, -2, "__gc");                   /* [level] s mt */
        lua_pushcfunction(L, stream_release);          /* [level] s mt release */
        lua_setfield(L, -2, "__close");                /* [level] s mt */
    }
    lua_setmetatable(L, -2);                           /* [level] s */
    /* windowBits 15 + 16: a gzip header and trailer around the deflate stream. */
    if (deflateInit2(&s->z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return luaL_error(L, "gzip: cannot set up a stream (out of memory)");
    s->open = 1;
    return 1;
}
