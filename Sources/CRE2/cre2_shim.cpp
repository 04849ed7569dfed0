#include "cre2_shim.h"

#include <re2/re2.h>

#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

struct vigil_re2 {
    re2::RE2 regex;
    vigil_re2(const std::string &anchored, const re2::RE2::Options &options) : regex(anchored, options) {}
};

static char *copy_message(const std::string &message) {
    char *out = static_cast<char *>(std::malloc(message.size() + 1));
    if (out != nullptr) {
        std::memcpy(out, message.data(), message.size());
        out[message.size()] = '\0';
    }
    return out;
}

static re2::RE2::Options go_options() {
    re2::RE2::Options options;
    options.set_log_errors(false);
    options.set_encoding(re2::RE2::Options::EncodingUTF8);
    options.set_perl_classes(true);
    options.set_word_boundary(true);
    options.set_longest_match(false);
    return options;
}

extern "C" vigil_re2 *vigil_re2_compile_unanchored(const char *pattern, size_t length, char **error) {
    if (error != nullptr) *error = nullptr;
    vigil_re2 *re = new (std::nothrow) vigil_re2(std::string(pattern, length), go_options());
    if (re == nullptr) {
        if (error != nullptr) *error = copy_message("out of memory");
        return nullptr;
    }
    if (!re->regex.ok()) {
        if (error != nullptr) *error = copy_message(re->regex.error());
        delete re;
        return nullptr;
    }
    return re;
}

static int match_with(const vigil_re2 *re, const char *text, size_t length, long *spans, int groups, re2::RE2::Anchor anchor) {
    if (groups < 0) groups = 0;
    if (spans == nullptr) groups = 0;
    const int available = 1 + re->regex.NumberOfCapturingGroups();
    const int n = groups < available ? groups : available;
    std::vector<re2::StringPiece> sub(n > 0 ? n : 1);
    re2::StringPiece input(text, length);
    if (!re->regex.Match(input, 0, length, anchor, sub.data(), n)) return 0;
    for (int i = 0; i < groups; i++) {
        if (i < n && sub[i].data() != nullptr) {
            spans[2 * i] = static_cast<long>(sub[i].data() - text);
            spans[2 * i + 1] = static_cast<long>(sub[i].data() - text + sub[i].size());
        } else {
            spans[2 * i] = -1;
            spans[2 * i + 1] = -1;
        }
    }
    return 1;
}

extern "C" int vigil_re2_search(const vigil_re2 *re, const char *text, size_t length, long *spans, int groups) {
    return match_with(re, text, length, spans, groups, re2::RE2::UNANCHORED);
}

extern "C" vigil_re2 *vigil_re2_compile(const char *pattern, size_t length, char **error) {
    if (error != nullptr) *error = nullptr;
    re2::RE2::Options options;
    options.set_log_errors(false);
    options.set_encoding(re2::RE2::Options::EncodingUTF8);
    // Go's regexp syntax: Perl classes, \b and \pN are on by default in Go; never longest-match.
    options.set_perl_classes(true);
    options.set_word_boundary(true);
    options.set_longest_match(false);
    // Validate the pattern alone first, so that the error names the user's text, not the
    // anchoring wrapper, and so that `a)(b` cannot escape the wrapper.
    std::string user(pattern, length);
    {
        re2::RE2 alone(user, options);
        if (!alone.ok()) {
            if (error != nullptr) *error = copy_message(alone.error());
            return nullptr;
        }
    }
    std::string anchored = "^(?s:" + user + ")$";
    vigil_re2 *re = new (std::nothrow) vigil_re2(anchored, options);
    if (re == nullptr) {
        if (error != nullptr) *error = copy_message("out of memory");
        return nullptr;
    }
    if (!re->regex.ok()) {
        if (error != nullptr) *error = copy_message(re->regex.error());
        delete re;
        return nullptr;
    }
    return re;
}

extern "C" void vigil_re2_free(vigil_re2 *re) { delete re; }

extern "C" void vigil_re2_free_error(char *error) { std::free(error); }

extern "C" int vigil_re2_group_count(const vigil_re2 *re) {
    // The wrapper adds a non-capturing group only.
    return re->regex.NumberOfCapturingGroups();
}

extern "C" int vigil_re2_full_match(const vigil_re2 *re, const char *text, size_t length, long *spans, int groups) {
    if (groups < 0) groups = 0;
    if (spans == nullptr) groups = 0;
    const int available = 1 + re->regex.NumberOfCapturingGroups();
    const int n = groups < available ? groups : available;
    std::vector<re2::StringPiece> sub(n > 0 ? n : 1);
    re2::StringPiece input(text, length);
    if (!re->regex.Match(input, 0, length, re2::RE2::ANCHOR_BOTH, sub.data(), n)) return 0;
    for (int i = 0; i < groups; i++) {
        if (i < n && sub[i].data() != nullptr) {
            spans[2 * i] = static_cast<long>(sub[i].data() - text);
            spans[2 * i + 1] = static_cast<long>(sub[i].data() - text + sub[i].size());
        } else {
            spans[2 * i] = -1;
            spans[2 * i + 1] = -1;
        }
    }
    return 1;
}
