#pragma once
#include <curl/curl.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <string.h>
#include <time.h>

// curl_easy_setopt and curl_easy_getinfo are variadic, which Swift does not import: one
// typed wrapper per argument kind.
static inline CURLcode vigil_curl_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode vigil_curl_setopt_off(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode vigil_curl_setopt_string(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode vigil_curl_setopt_pointer(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode vigil_curl_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode vigil_curl_setopt_write(CURL *h, CURLoption o, curl_write_callback v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode vigil_curl_setopt_xferinfo(CURL *h, curl_xferinfo_callback v) { return curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, v); }
static inline CURLcode vigil_curl_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode vigil_curl_getinfo_off(CURL *h, CURLINFO i, curl_off_t *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode vigil_curl_getinfo_string(CURL *h, CURLINFO i, char **v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode vigil_curl_getinfo_socket(CURL *h, curl_socket_t *v) { return curl_easy_getinfo(h, CURLINFO_ACTIVESOCKET, v); }

// The TLS session of a live connection, read from libcurl's OpenSSL handle
// (CURLINFO_TLS_SSL_PTR): protocol version, the earliest expiry of the certificates the peer
// sent, and the earliest expiry within the verified chain (which ends at the trust anchor).
struct vigil_tls_info {
    char version[24];
    long long earliest_peer_expiry;
    long long verified_chain_expiry;
    int peer_certificates;
    int verified_certificates;
};

static inline int vigil_asn1_unix(const ASN1_TIME *t, long long *out) {
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1) return 0;
    *out = (long long)timegm(&tm);
    return 1;
}

static inline int vigil_chain_earliest(STACK_OF(X509) *chain, long long *out) {
    int n = 0;
    if (chain == NULL) return 0;
    for (int i = 0; i < sk_X509_num(chain); i++) {
        long long t;
        if (vigil_asn1_unix(X509_get0_notAfter(sk_X509_value(chain, i)), &t)) {
            if (n == 0 || t < *out) *out = t;
            n++;
        }
    }
    return n;
}

/// 1 when `h` has a live OpenSSL session and `out` is filled, else 0.
static inline int vigil_curl_tls_info(CURL *h, struct vigil_tls_info *out) {
    struct curl_tlssessioninfo *info = NULL;
    memset(out, 0, sizeof *out);
    if (curl_easy_getinfo(h, CURLINFO_TLS_SSL_PTR, &info) != CURLE_OK || info == NULL) return 0;
    if (info->backend != CURLSSLBACKEND_OPENSSL || info->internals == NULL) return 0;
    SSL *ssl = (SSL *)info->internals;
    const char *v = SSL_get_version(ssl);
    if (v != NULL) {
        strncpy(out->version, v, sizeof out->version - 1);
    }
    out->peer_certificates = vigil_chain_earliest(SSL_get_peer_cert_chain(ssl), &out->earliest_peer_expiry);
    out->verified_certificates = vigil_chain_earliest(SSL_get0_verified_chain(ssl), &out->verified_chain_expiry);
    return 1;
}
