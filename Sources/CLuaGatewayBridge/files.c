// What luagw.web.static needs to know of a file that Lua's io library cannot tell.
#include "CLuaGatewayBridge.h"
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/// file_info(path): "file", "directory" or "other", its size and its modification time
/// (whole seconds since the epoch), following symbolic links; nil and the error when it
/// cannot be read. [-1, +3|2, v]
int luagw_file_info(lua_State *L) {
    const char *path = luaL_checkstring(L, 1);
    struct stat st;
    if (stat(path, &st) != 0) {
        lua_pushnil(L);                                /* path nil */
        lua_pushstring(L, strerror(errno));            /* path nil err */
        return 2;
    }
    lua_pushstring(L, S_ISREG(st.st_mode) ? "file" : S_ISDIR(st.st_mode) ? "directory" : "other");
    lua_pushinteger(L, (lua_Integer)st.st_size);       /* path kind size */
    lua_pushinteger(L, (lua_Integer)st.st_mtime);      /* path kind size mtime */
    return 3;
}

/// realpath(path): the absolute path with every symbolic link, `.` and `..` resolved; nil
/// and the error when it does not exist. [-1, +1|2, v]
int luagw_realpath(lua_State *L) {
    const char *path = luaL_checkstring(L, 1);
    char resolved[PATH_MAX];
    if (realpath(path, resolved) == NULL) {
        lua_pushnil(L);                                /* path nil */
        lua_pushstring(L, strerror(errno));            /* path nil err */
        return 2;
    }
    lua_pushstring(L, resolved);                       /* path resolved */
    return 1;
}
