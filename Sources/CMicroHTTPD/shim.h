#pragma once
#include <microhttpd.h>
#include <stdint.h>
#include <string.h>

/*
 * Swift does not import variadic C functions. These fixed-signature wrappers
 * cover exactly the calls the HTTPServer target makes.
 */

/* MHD_OPTION_URI_LOG_CALLBACK's function: sees the raw (not yet unescaped) URI of each request
 * once its request line is in; its result becomes the request's con_cls. */
typedef void *(*vigil_mhd_uri_logger)(void *cls, const char *uri, struct MHD_Connection *connection);

/*
 * Starts a daemon on an already bound and listening socket (MHD_OPTION_LISTEN_SOCKET),
 * so the caller owns address parsing, resolution and bind errors. A thread_pool_size above 1
 * spreads connections over that many internal threads (each connection stays on one). The external logger
 * is passed first, as the documentation asks, so no start-up message bypasses it; pass
 * NULL to keep MHD's own stderr logger. `notify_connection` hears every connection start and
 * close (MHD_OPTION_NOTIFY_CONNECTION); `uri_logger` sees each request's raw URI.
 */
static inline struct MHD_Daemon *
vigil_mhd_start_daemon(unsigned int flags,
                       MHD_socket listen_fd,
                       unsigned int connection_limit,
                       unsigned int connection_timeout_seconds,
                       unsigned int thread_pool_size,
                       MHD_AccessHandlerCallback handler, void *handler_cls,
                       MHD_RequestCompletedCallback completed, void *completed_cls,
                       MHD_NotifyConnectionCallback notify_connection, void *notify_connection_cls,
                       vigil_mhd_uri_logger uri_logger, void *uri_logger_cls,
                       MHD_LogCallback logger, void *logger_cls,
                       const char *tls_key_pem, const char *tls_cert_pem,
                       const char *tls_trust_pem, const char *tls_priorities)
{
    /* Options as an array (MHD_OPTION_ARRAY), so the TLS ones can be left out. The external
     * logger comes first, as the documentation asks. libmicrohttpd copies the TLS strings
     * into GnuTLS while starting, so they need to live only during this call. */
    struct MHD_OptionItem options[16];
    int n = 0;
#define VIGIL_OPT(o, v, p) do { options[n].option = (o); options[n].value = (intptr_t) (v); options[n].ptr_value = (void *) (p); n++; } while (0)
    if (logger != NULL) {
        options[n].option = MHD_OPTION_EXTERNAL_LOGGER;
        options[n].value = (intptr_t) logger;
        options[n].ptr_value = logger_cls;
        n++;
    }
    VIGIL_OPT(MHD_OPTION_LISTEN_SOCKET, listen_fd, NULL);
    VIGIL_OPT(MHD_OPTION_CONNECTION_LIMIT, connection_limit, NULL);
    VIGIL_OPT(MHD_OPTION_CONNECTION_TIMEOUT, connection_timeout_seconds, NULL);
    VIGIL_OPT(MHD_OPTION_THREAD_POOL_SIZE, thread_pool_size, NULL);
    VIGIL_OPT(MHD_OPTION_NOTIFY_COMPLETED, completed, completed_cls);
    VIGIL_OPT(MHD_OPTION_NOTIFY_CONNECTION, notify_connection, notify_connection_cls);
    VIGIL_OPT(MHD_OPTION_URI_LOG_CALLBACK, uri_logger, uri_logger_cls);
    if (tls_key_pem != NULL && tls_cert_pem != NULL) {
        flags |= MHD_USE_TLS;
        VIGIL_OPT(MHD_OPTION_HTTPS_MEM_KEY, 0, tls_key_pem);
        VIGIL_OPT(MHD_OPTION_HTTPS_MEM_CERT, 0, tls_cert_pem);
        if (tls_trust_pem != NULL) VIGIL_OPT(MHD_OPTION_HTTPS_MEM_TRUST, 0, tls_trust_pem);
        if (tls_priorities != NULL) VIGIL_OPT(MHD_OPTION_HTTPS_PRIORITIES, 0, tls_priorities);
    }
    VIGIL_OPT(MHD_OPTION_END, 0, NULL);
#undef VIGIL_OPT
    return MHD_start_daemon(flags, 0, NULL, NULL, handler, handler_cls,
                            MHD_OPTION_ARRAY, options, MHD_OPTION_END);
}

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

/*
 * The client certificate of a TLS connection, judged against the daemon's trust store
 * (MHD_OPTION_HTTPS_MEM_TRUST), through the GnuTLS session libmicrohttpd exposes
 * (MHD_CONNECTION_INFO_GNUTLS_SESSION; libmicrohttpd itself never verifies it).
 * 0: no certificate sent; 1: sent and verified; 2: sent but not valid (unknown CA, expired,
 * wrong usage…); -1: not a TLS connection. Call it only from a callback of that connection.
 */
static inline int
vigil_mhd_client_certificate_status(struct MHD_Connection *connection)
{
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (info == NULL || info->tls_session == NULL) return -1;
    gnutls_session_t session = (gnutls_session_t) info->tls_session;
    unsigned int count = 0;
    if (gnutls_certificate_get_peers(session, &count) == NULL || count == 0) return 0;
    unsigned int status = 0;
    gnutls_typed_vdata_st purpose;
    purpose.type = GNUTLS_DT_KEY_PURPOSE_OID;
    purpose.data = (unsigned char *) GNUTLS_KP_TLS_WWW_CLIENT;
    purpose.size = 0;
    if (gnutls_certificate_verify_peers(session, &purpose, 1, &status) != GNUTLS_E_SUCCESS) return 2;
    return status == 0 ? 1 : 2;
}

/*
 * Checks a PEM certificate chain + key pair (and, when given, a PEM trust list and a priority
 * string) the way the daemon will load them. Returns NULL when usable, else GnuTLS's
 * description of the first problem (a static string; it never quotes the key).
 */
static inline const char *
vigil_tls_check(const char *cert_pem, const char *key_pem, const char *trust_pem, const char *priorities, int *which)
{
    gnutls_certificate_credentials_t cred;
    const char *problem = NULL;
    *which = 0;
    if (gnutls_certificate_allocate_credentials(&cred) != GNUTLS_E_SUCCESS) return "cannot allocate credentials";
    gnutls_datum_t cert = { (unsigned char *) cert_pem, (unsigned int) strlen(cert_pem) };
    gnutls_datum_t key = { (unsigned char *) key_pem, (unsigned int) strlen(key_pem) };
    int rc = gnutls_certificate_set_x509_key_mem(cred, &cert, &key, GNUTLS_X509_FMT_PEM);
    if (rc < 0) { problem = gnutls_strerror(rc); *which = 1; }
    if (problem == NULL && trust_pem != NULL) {
        gnutls_datum_t trust = { (unsigned char *) trust_pem, (unsigned int) strlen(trust_pem) };
        rc = gnutls_certificate_set_x509_trust_mem(cred, &trust, GNUTLS_X509_FMT_PEM);
        if (rc <= 0) { problem = rc == 0 ? "no certificate found" : gnutls_strerror(rc); *which = 2; }
    }
    gnutls_certificate_free_credentials(cred);
    if (problem == NULL && priorities != NULL) {
        gnutls_priority_t cache;
        const char *at = NULL;
        rc = gnutls_priority_init(&cache, priorities, &at);
        if (rc < 0) { problem = gnutls_strerror(rc); *which = 3; } else { gnutls_priority_deinit(cache); }
    }
    return problem;
}

/* The port the daemon is bound to (MHD_DAEMON_INFO_BIND_PORT), 0 when unknown. */
static inline unsigned short
vigil_mhd_bind_port(struct MHD_Daemon *daemon)
{
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    return info == NULL ? 0 : info->port;
}

/* The socket of a connection (MHD_CONNECTION_INFO_CONNECTION_FD), -1 when unknown. Call it only
 * from a callback running for that connection. */
static inline int
vigil_mhd_connection_fd(struct MHD_Connection *connection)
{
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    return info == NULL ? -1 : (int) info->connect_fd;
}

#if defined(__linux__)
#include <pthread.h>
/* glibc declares it only under _GNU_SOURCE; this is the same prototype. */
int pthread_setname_np(pthread_t thread, const char *name);
/* Names the calling thread (at most 15 characters are kept), for top and debuggers. */
static inline void
vigil_name_this_thread(const char *name)
{
    (void) pthread_setname_np(pthread_self(), name);
}
#else
static inline void
vigil_name_this_thread(const char *name)
{
    (void) name;
}
#endif
