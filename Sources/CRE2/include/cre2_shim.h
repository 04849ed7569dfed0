#ifndef VIGIL_CRE2_SHIM_H
#define VIGIL_CRE2_SHIM_H

// A C interface over RE2's C++ API (Go's regexp syntax, linear-time matching), so that Swift
// imports it as plain C. Only Rules' AnchoredRegex uses it; no pointer leaves that type.

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vigil_re2 vigil_re2;

/// Compiles `pattern` (UTF-8, `length` bytes) anchored as `^(?s:pattern)$`. Returns NULL on
/// failure and, when `error` is not NULL, a malloc'ed message for the caller to free with
/// vigil_re2_free_error.
vigil_re2 *vigil_re2_compile(const char *pattern, size_t length, char **error);

void vigil_re2_free(vigil_re2 *re);
void vigil_re2_free_error(char *error);

/// Number of capturing groups (not counting the whole match).
int vigil_re2_group_count(const vigil_re2 *re);

/// Matches the whole of `text`. On a match returns 1 and, when `spans` is not NULL, writes
/// `2 * groups` byte offsets (start, end) of the whole match and the first `groups - 1`
/// capturing groups; an unmatched group gets -1, -1. Returns 0 when the text does not match.
int vigil_re2_full_match(const vigil_re2 *re, const char *text, size_t length, long *spans, int groups);

/// Compiles `pattern` as it is, for unanchored searches (Go's `regexp.Match`). Same errors
/// as vigil_re2_compile; free with vigil_re2_free.
vigil_re2 *vigil_re2_compile_unanchored(const char *pattern, size_t length, char **error);

/// Searches `text` for the first match anywhere in it. On a match returns 1 and fills `spans`
/// as vigil_re2_full_match does; returns 0 when nothing in the text matches.
int vigil_re2_search(const vigil_re2 *re, const char *text, size_t length, long *spans, int groups);

#ifdef __cplusplus
}
#endif

#endif
