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

/* nil and `message`. [-0, +2, m] */
static int no_target(lua_State *L, const char *message) {
    lua_pushnil(L);                                    /* nil */
    lua_pushstring(L, message);                        /* nil message */
    return 2;
}

/// write_target(path [, follow]): the absolute path of what a write, rename or removal of `path`
/// reaches (--sandbox checks it): its parent directory resolved (every symbolic link, `.` and
/// `..`) and its last component; with `follow` (opening a file, which follows a symbolic link),
/// the resolved path of a symbolic link's target. nil and the error when the parent does not
/// exist, the last component is not a name, or a followed link leads nowhere. [-(1|2), +1|2, m]
int luagw_write_target(lua_State *L) {
    const char *path = luaL_checkstring(L, 1);
    char resolved[PATH_MAX], parent[PATH_MAX];
    struct stat st;
    if (lua_toboolean(L, 2) && lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
        if (realpath(path, resolved) == NULL) return no_target(L, "a symbolic link that leads nowhere");
        lua_pushstring(L, resolved);                   /* path [follow] resolved */
        return 1;
    }
    const char *slash = strrchr(path, '/');
    const char *name = slash == NULL ? path : slash + 1;
    if (*name == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) return no_target(L, "not a file name");
    size_t length = slash == NULL ? 0 : (slash == path ? 1 : (size_t)(slash - path));
    if (length >= sizeof parent) return no_target(L, strerror(ENAMETOOLONG));
    memcpy(parent, slash == NULL ? "." : path, slash == NULL ? 1 : length);
    parent[slash == NULL ? 1 : length] = '\0';
    if (realpath(parent, resolved) == NULL) return no_target(L, strerror(errno));
    lua_pushfstring(L, "%s%s%s", resolved, strcmp(resolved, "/") == 0 ? "" : "/", name);  /* path [follow] target */
    return 1;
}
