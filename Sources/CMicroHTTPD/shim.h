#pragma once
#include <microhttpd.h>

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
                       MHD_LogCallback logger, void *logger_cls)
{
    if (logger != NULL) {
        return MHD_start_daemon(flags, 0, NULL, NULL, handler, handler_cls,
                                MHD_OPTION_EXTERNAL_LOGGER, logger, logger_cls,
                                MHD_OPTION_LISTEN_SOCKET, listen_fd,
                                MHD_OPTION_CONNECTION_LIMIT, connection_limit,
                                MHD_OPTION_CONNECTION_TIMEOUT, connection_timeout_seconds,
                                MHD_OPTION_THREAD_POOL_SIZE, thread_pool_size,
                                MHD_OPTION_NOTIFY_COMPLETED, completed, completed_cls,
                                MHD_OPTION_NOTIFY_CONNECTION, notify_connection, notify_connection_cls,
                                MHD_OPTION_URI_LOG_CALLBACK, uri_logger, uri_logger_cls,
                                MHD_OPTION_END);
    }
    return MHD_start_daemon(flags, 0, NULL, NULL, handler, handler_cls,
                            MHD_OPTION_LISTEN_SOCKET, listen_fd,
                            MHD_OPTION_CONNECTION_LIMIT, connection_limit,
                            MHD_OPTION_CONNECTION_TIMEOUT, connection_timeout_seconds,
                            MHD_OPTION_THREAD_POOL_SIZE, thread_pool_size,
                            MHD_OPTION_NOTIFY_COMPLETED, completed, completed_cls,
                            MHD_OPTION_NOTIFY_CONNECTION, notify_connection, notify_connection_cls,
                            MHD_OPTION_URI_LOG_CALLBACK, uri_logger, uri_logger_cls,
                            MHD_OPTION_END);
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
