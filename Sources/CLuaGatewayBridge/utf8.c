// UTF-8 validation for WebSocket text (RFC 6455 §8.1): a text message or close reason that is not
// well-formed UTF-8 fails the connection with 1007. Plain C over bytes; never touches Lua.
#include "CLuaGatewayBridge.h"
#include <string.h>

int luagw_utf8_valid(const unsigned char *bytes, size_t length) {
    size_t i = 0;
    while (i < length) {
        // ASCII runs, eight bytes at a time.
        while (i + 8 <= length) {
            unsigned long long word;
            memcpy(&word, bytes + i, 8);
            if (word & 0x8080808080808080ULL) break;
            i += 8;
        }
        if (i >= length) break;
        unsigned char c = bytes[i];
        if (c < 0x80) { i++; continue; }
        size_t need;
        unsigned char low = 0x80, high = 0xBF;  // the allowed range of the second byte
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            if (c == 0xE0) low = 0xA0;          // overlong
            if (c == 0xED) high = 0x9F;         // surrogates
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            if (c == 0xF0) low = 0x90;          // overlong
            if (c == 0xF4) high = 0x8F;         // above U+10FFFF
        } else {
            return 0;
        }
        if (i + need >= length) return 0;      // cut short
        if (bytes[i + 1] < low || bytes[i + 1] > high) return 0;
        for (size_t k = 2; k <= need; k++) {
            if ((bytes[i + k] & 0xC0) != 0x80) return 0;
        }
        i += need + 1;
    }
    return 1;
}
