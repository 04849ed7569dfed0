#pragma once
/* libxcrypt (glibc's libcrypt on Debian 12): crypt_r verifies bcrypt ($2a$/$2b$/$2y$) hashes. */
#include <crypt.h>
#include <string.h>

/*
 * Hashes `password` with the setting (salt, cost) of `hash` and reports whether the result
 * equals `hash`, comparing every byte (constant time for equal lengths). The work area is
 * zeroed afterwards, so no derived value stays in memory. Returns 1 on a match, 0 otherwise
 * (including a malformed hash: crypt_r then returns a string starting with '*').
 */
static inline int
vigil_crypt_verify(const char *password, const char *hash)
{
    struct crypt_data data;
    memset(&data, 0, sizeof data);
    const char *out = crypt_r(password, hash, &data);
    int ok = 0;
    if (out != NULL && out[0] != '*') {
        size_t a = strlen(out), b = strlen(hash);
        unsigned char diff = (unsigned char) (a != b);
        size_t n = a < b ? a : b;
        for (size_t i = 0; i < n; i++) diff |= (unsigned char) (out[i] ^ hash[i]);
        ok = diff == 0;
    }
    memset(&data, 0, sizeof data);
    return ok;
}
