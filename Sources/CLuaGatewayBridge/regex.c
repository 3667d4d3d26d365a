// luagw.ngx.re's matching (OpenResty's ngx.re.*), in C with the system's PCRE2 (Debian:
// libpcre2-dev): compiled patterns as Lua objects, the match of one call turned into OpenResty's
// captures table, and sub/gsub with a template string done here in one pass. The Lua half
// (luagw.ngx.re.lua) parses nothing but keeps the per-state cache of `o` patterns and runs
// function replacements.
#define PCRE2_CODE_UNIT_WIDTH 8
#include "CLuaGatewayBridge.h"
#include <pcre2.h>
#include <string.h>

#define REGEX "luagw.regex"
#define DFA_WORKSPACE 100  /* ints, as OpenResty */

/* How a pattern is run, beside PCRE2's compile options (OpenResty's d, D, j, U). */
enum { RUN_DFA = 1, RUN_DUPNAMES = 2, RUN_JIT = 4, RUN_NO_UTF_CHECK = 8 };

typedef struct regex {
    pcre2_code *code;
    pcre2_match_data *data;  /* reused by every match of this pattern */
    uint32_t captures;       /* groups, 0 in DFA mode (OpenResty returns the whole match only) */
    uint32_t names;          /* named groups */
    uint32_t name_size;      /* bytes a name-table entry */
    PCRE2_SPTR name_table;
    int run;                 /* RUN_* */
} regex;

/// free(re): releases the pattern now (one not kept by the `o` cache, once used; Lua's collector
/// does not see PCRE2's memory), and is its __gc. [-0, +0, v]
static int regex_free(lua_State *L) {
    regex *re = (regex *)luaL_checkudata(L, 1, REGEX);
    pcre2_match_data_free(re->data);
    pcre2_code_free(re->code);
    re->data = NULL;
    re->code = NULL;
    return 0;
}

/// options(letters): PCRE2's compile options and the RUN_* flags for OpenResty's option
/// letters, or nil and the first letter it does not know. [-0, +2, v]
static int regex_options(lua_State *L) {
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    uint32_t compile = 0;
    int run = 0;
    for (size_t i = 0; i < n; i++) {
        switch (s[i]) {
        case 'a': compile |= PCRE2_ANCHORED; break;
        case 'd': run |= RUN_DFA; break;
        case 'D': compile |= PCRE2_DUPNAMES; run |= RUN_DUPNAMES; break;
        case 'i': compile |= PCRE2_CASELESS; break;
        case 'j': run |= RUN_JIT; break;
        /* PCRE2 has no JavaScript mode: these are what its PCRE1 flag turned on */
        case 'J': compile |= PCRE2_ALT_BSUX | PCRE2_ALLOW_EMPTY_CLASS | PCRE2_MATCH_UNSET_BACKREF; break;
        case 'm': compile |= PCRE2_MULTILINE; break;
        case 'o': break;  /* the cache is the Lua side's */
        case 's': compile |= PCRE2_DOTALL; break;
        case 'u': compile |= PCRE2_UTF; break;
        case 'U': compile |= PCRE2_UTF; run |= RUN_NO_UTF_CHECK; break;
        case 'x': compile |= PCRE2_EXTENDED; break;
        default:
            lua_pushnil(L);                       /* nil */
            lua_pushlstring(L, s + i, 1);         /* nil letter */
            return 2;
        }
    }
    lua_pushinteger(L, compile);                  /* compile */
    lua_pushinteger(L, run);                      /* compile run */
    return 2;
}

/// compile(pattern, compile_options, run_flags): a pattern object, or nil and OpenResty's
/// message ("pcre2_compile() failed: ..."). [-0, +(1|2), v]
static int regex_compile(lua_State *L) {
    size_t length;
    const char *pattern = luaL_checklstring(L, 1, &length);
    uint32_t options = (uint32_t)luaL_checkinteger(L, 2);
    int run = (int)luaL_checkinteger(L, 3);
    regex *re = (regex *)lua_newuserdatauv(L, sizeof *re, 0);  /* re */
    memset(re, 0, sizeof *re);
    if (luaL_newmetatable(L, REGEX)) {                          /* re mt */
        lua_pushcfunction(L, regex_free);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);                                    /* re */
    int code;
    PCRE2_SIZE offset;
    re->code = pcre2_compile((PCRE2_SPTR)pattern, length, options, &code, &offset, NULL);
    if (re->code == NULL) {
        PCRE2_UCHAR why[128];
        pcre2_get_error_message(code, why, sizeof why);
        const char *reason = (const char *)why;
        lua_pushnil(L);                                                          /* re nil */
        if (offset >= length) {
            lua_pushfstring(L, "pcre2_compile() failed: %s in \"%s\"", reason, pattern);  /* re nil msg */
        } else {
            lua_pushfstring(L, "pcre2_compile() failed: %s in \"%s\" at \"%s\"", reason, pattern, pattern + offset);
        }
        return 2;
    }
    if ((run & RUN_JIT) && !(run & RUN_DFA) && pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE) != 0) {
        run &= ~RUN_JIT;  /* as OpenResty: no JIT (an info line in its log), the interpreter runs it */
    }
    re->run = run;
    re->data = pcre2_match_data_create_from_pattern(re->code, NULL);
    if (re->data == NULL) return luaL_error(L, "ngx.re: no memory for a match");
    pcre2_pattern_info(re->code, PCRE2_INFO_CAPTURECOUNT, &re->captures);
    pcre2_pattern_info(re->code, PCRE2_INFO_NAMECOUNT, &re->names);
    pcre2_pattern_info(re->code, PCRE2_INFO_NAMEENTRYSIZE, &re->name_size);
    pcre2_pattern_info(re->code, PCRE2_INFO_NAMETABLE, &re->name_table);
    if (run & RUN_DFA) re->captures = 0;
    return 1;
}

/// Runs `re` on `subject` from byte `start`: pairs matched (> 0), PCRE2_ERROR_NOMATCH or
/// another PCRE2 error (< 0). No Lua.
static int run(regex *re, const char *subject, size_t length, size_t start) {
    uint32_t options = (re->run & RUN_NO_UTF_CHECK) ? PCRE2_NO_UTF_CHECK : 0;
    if (re->run & RUN_DFA) {
        int workspace[DFA_WORKSPACE];
        int rc = pcre2_dfa_match(re->code, (PCRE2_SPTR)subject, length, start, options, re->data, NULL,
                                 workspace, DFA_WORKSPACE);
        return rc < 0 ? rc : 1;  /* the longest match only, as OpenResty */
    }
    return pcre2_match(re->code, (PCRE2_SPTR)subject, length, start, options, re->data, NULL);
}

/// Pushes group `i` of the last match (`pairs` of them set) or false. [-0, +1, m]
static void push_group(lua_State *L, const PCRE2_SIZE *ovector, int pairs, uint32_t i, const char *subject) {
    if ((int)i < pairs && ovector[2 * i] != PCRE2_UNSET) {
        lua_pushlstring(L, subject + ovector[2 * i], ovector[2 * i + 1] - ovector[2 * i]);
    } else {
        lua_pushboolean(L, 0);
    }
}

/// Sets the named groups in the captures table at the top: a string or false each, or with D
/// (duplicate names) an array of the groups of that name that matched; a caller's res_table
/// may have metamethods. [-0, +0, e]
static void set_names(lua_State *L, const regex *re) {
    for (uint32_t k = 0; k < re->names; k++) {
        PCRE2_SPTR entry = re->name_table + (size_t)k * re->name_size;
        lua_Integer group = (entry[0] << 8) | entry[1];
        const char *name = (const char *)entry + 2;
        if (!(re->run & RUN_DUPNAMES)) {
            lua_rawgeti(L, -1, group);              /* t g */
            lua_setfield(L, -2, name);              /* t */
            continue;
        }
        if (lua_rawgeti(L, -1, group) == LUA_TBOOLEAN) {  /* t g */
            lua_pop(L, 1);                          /* t */
            continue;
        }
        if (lua_getfield(L, -2, name) != LUA_TTABLE) {    /* t g list? */
            lua_pop(L, 1);                          /* t g */
            lua_createtable(L, 2, 0);               /* t g list */
            lua_pushvalue(L, -1);                   /* t g list list */
            lua_setfield(L, -4, name);              /* t g list */
        }
        lua_insert(L, -2);                          /* t list g */
        lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);  /* t list */
        lua_pop(L, 1);                              /* t */
    }
}

/// Pushes nil (no match) or false and OpenResty's message for `rc` < 0. [-0, +(1|2), m]
static int push_failure(lua_State *L, int rc) {
    if (rc == PCRE2_ERROR_NOMATCH) {
        lua_pushnil(L);
        return 1;
    }
    lua_pushboolean(L, 0);
    lua_pushfstring(L, "pcre_exec() failed: %d", rc);
    return 2;
}

/// run(re, subject, start) with the arguments 1 to 3 (start: a 0-based byte). [-0, +0, v]
static int run_arguments(lua_State *L, regex **re, const char **subject) {
    *re = (regex *)luaL_checkudata(L, 1, REGEX);
    if ((*re)->code == NULL) luaL_error(L, "ngx.re: the pattern was freed");
    size_t length;
    *subject = luaL_checklstring(L, 2, &length);
    size_t start = (size_t)luaL_checknumber(L, 3);  /* ctx.pos 2.5: byte 1, as OpenResty's int */
    return run(*re, *subject, length, start);
}

/// match(re, subject, start, [res]): the captures table (res when given) and the match's
/// 0-based start and end; nil when no match; false and a message on PCRE2's error.
/// [-0, +(1|2|3), e]
static int regex_match(lua_State *L) {
    regex *re;
    const char *subject;
    int rc = run_arguments(L, &re, &subject);
    if (rc < 0) return push_failure(L, rc);
    const PCRE2_SIZE *ovector = pcre2_get_ovector_pointer(re->data);
    if (lua_istable(L, 4)) {
        lua_settop(L, 4);                                          /* ... t */
    } else {
        lua_createtable(L, (int)re->captures, (int)re->names);    /* ... t */
    }
    for (uint32_t i = 0; i <= re->captures; i++) {
        push_group(L, ovector, rc, i, subject);                   /* ... t g */
        lua_rawseti(L, -2, i);                                    /* ... t */
    }
    if (re->names > 0) set_names(L, re);
    lua_pushinteger(L, (lua_Integer)ovector[0]);                  /* ... t from */
    lua_pushinteger(L, (lua_Integer)ovector[1]);                  /* ... t from to */
    return 3;
}

/// find(re, subject, start, nth): the 1-based first and last byte of group `nth` (false, false
/// when it did not take part) and the whole match's 0-based end; "nth" when the pattern has
/// fewer groups; nil when no match; false and a message on PCRE2's error. [-0, +(1|2|3), v]
static int regex_find(lua_State *L) {
    lua_Integer nth = luaL_checkinteger(L, 4);
    regex *re;
    const char *subject;
    int rc = run_arguments(L, &re, &subject);
    if (rc < 0) return push_failure(L, rc);
    const PCRE2_SIZE *ovector = pcre2_get_ovector_pointer(re->data);
    if (nth > (lua_Integer)re->captures) {
        lua_pushliteral(L, "nth");                                 /* "nth" */
        return 1;
    }
    if (nth < rc && ovector[2 * nth] != PCRE2_UNSET) {
        lua_pushinteger(L, (lua_Integer)ovector[2 * nth] + 1);     /* from */
        lua_pushinteger(L, (lua_Integer)ovector[2 * nth + 1]);     /* from to */
    } else {
        lua_pushboolean(L, 0);
        lua_pushboolean(L, 0);                                     /* false false */
    }
    lua_pushinteger(L, (lua_Integer)ovector[1]);                   /* from to end */
    return 3;
}

/// A replacement template as OpenResty reads it: text, `$$` (a dollar), `$N` and `${N}` (group N,
/// empty when it did not match). `out` NULL: only checks it. 1 when well formed. [-0, +0, m]
static int expand(luaL_Buffer *out, const char *t, size_t n, const PCRE2_SIZE *ovector, int pairs,
                  const char *subject) {
    size_t i = 0;
    while (i < n) {
        if (t[i] != '$') {
            size_t from = i;
            while (i < n && t[i] != '$') i++;
            if (out) luaL_addlstring(out, t + from, i - from);
            continue;
        }
        if (++i == n) return 0;
        if (t[i] == '$') {
            if (out) luaL_addchar(out, '$');
            i++;
            continue;
        }
        int bracket = t[i] == '{';
        if (bracket && ++i == n) return 0;
        if (t[i] < '0' || t[i] > '9') return 0;  /* no name, or a name (OpenResty has no named groups here) */
        size_t group = 0;
        while (i < n && t[i] >= '0' && t[i] <= '9') group = group * 10 + (size_t)(t[i++] - '0');
        if (bracket) {
            if (i == n || t[i] != '}') return 0;
            i++;
        }
        if (out && group < (size_t)pairs && ovector[2 * group] != PCRE2_UNSET) {
            luaL_addlstring(out, subject + ovector[2 * group], ovector[2 * group + 1] - ovector[2 * group]);
        }
    }
    return 1;
}

/// sub(re, subject, template, global): the subject with the first (every) match replaced by the
/// template, and the count; nil and "template" when the template is ill-formed; false and a
/// message on PCRE2's error. [-0, +2, v]
static int regex_sub(lua_State *L) {
    regex *re = (regex *)luaL_checkudata(L, 1, REGEX);
    if (re->code == NULL) return luaL_error(L, "ngx.re: the pattern was freed");
    size_t length, n;
    const char *subject = luaL_checklstring(L, 2, &length);
    const char *template = luaL_checklstring(L, 3, &n);
    int global = lua_toboolean(L, 4);
    if (!expand(NULL, template, n, NULL, 0, NULL)) {
        lua_pushnil(L);
        lua_pushliteral(L, "template");                       /* nil "template" */
        return 2;
    }
    luaL_Buffer b;
    luaL_buffinit(L, &b);                                     /* ... [b] */
    size_t copied = 0, start = 0;
    lua_Integer count = 0;
    for (;;) {
        int rc = run(re, subject, length, start);
        if (rc == PCRE2_ERROR_NOMATCH) break;
        if (rc < 0) {
            lua_settop(L, 4);
            return push_failure(L, rc);
        }
        const PCRE2_SIZE *ovector = pcre2_get_ovector_pointer(re->data);
        count++;
        luaL_addlstring(&b, subject + copied, ovector[0] - copied);
        expand(&b, template, n, ovector, rc, subject);
        copied = start = ovector[1];
        if (start == ovector[0] && ++start > length) break;  /* an empty match: on by a byte */
        if (!global) break;
    }
    if (count == 0) {
        lua_settop(L, 2);                                     /* re subject */
        lua_pushinteger(L, 0);                                /* re subject 0 */
        return 2;
    }
    luaL_addlstring(&b, subject + copied, length - copied);
    luaL_pushresult(&b);                                      /* ... s */
    lua_pushinteger(L, count);                                /* ... s count */
    return 2;
}

/// library(): the functions above, for luagw.ngx.re. [-0, +1, m]
int luagw_regex_library(lua_State *L) {
    static const luaL_Reg functions[] = {
        { "options", regex_options }, { "compile", regex_compile }, { "match", regex_match },
        { "find", regex_find }, { "sub", regex_sub }, { "free", regex_free }, { NULL, NULL },
    };
    luaL_newlib(L, functions);
    return 1;
}
