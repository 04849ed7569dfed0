#pragma once
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

// OpenSSL macros Swift does not import: one typed wrapper each.
static inline long vigil_ssl_set_sni(SSL *s, const char *name) { return SSL_set_tlsext_host_name(s, name); }
static inline long vigil_ssl_ctx_set_min_version(SSL_CTX *c, int version) { return SSL_CTX_set_min_proto_version(c, version); }
static inline long vigil_ssl_ctx_set_partial_writes(SSL_CTX *c) {
    return SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
}
static inline long vigil_bio_set_mem_eof_retry(BIO *b) { return BIO_set_mem_eof_return(b, -1); }

// A private key protected by a passphrase is refused instead of OpenSSL asking on the
// terminal (which would block the collector thread).
static inline int vigil_no_passphrase(char *buf, int size, int rwflag, void *u) {
    (void)buf; (void)size; (void)rwflag; (void)u;
    return 0;
}
static inline void vigil_ssl_ctx_refuse_passphrases(SSL_CTX *c) { SSL_CTX_set_default_passwd_cb(c, vigil_no_passphrase); }
