#pragma once
#include <microhttpd.h>

/*
 * Swift does not import variadic C functions. These fixed-signature wrappers
 * cover exactly the calls the HTTPServer target makes.
 */

/*
 * Starts a daemon on an already bound and listening socket (MHD_OPTION_LISTEN_SOCKET),
 * so the caller owns address parsing, resolution and bind errors. A thread_pool_size above 1
 * spreads connections over that many internal threads (each connection stays on one). The external logger
 * is passed first, as the documentation asks, so no start-up message bypasses it; pass
 * NULL to keep MHD's own stderr logger.
 */
static inline struct MHD_Daemon *
vigil_mhd_start_daemon(unsigned int flags,
                       MHD_socket listen_fd,
                       unsigned int connection_limit,
                       unsigned int connection_timeout_seconds,
                       unsigned int thread_pool_size,
                       MHD_AccessHandlerCallback handler, void *handler_cls,
                       MHD_RequestCompletedCallback completed, void *completed_cls,
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
                                MHD_OPTION_END);
    }
    return MHD_start_daemon(flags, 0, NULL, NULL, handler, handler_cls,
                            MHD_OPTION_LISTEN_SOCKET, listen_fd,
                            MHD_OPTION_CONNECTION_LIMIT, connection_limit,
                            MHD_OPTION_CONNECTION_TIMEOUT, connection_timeout_seconds,
                            MHD_OPTION_THREAD_POOL_SIZE, thread_pool_size,
                            MHD_OPTION_NOTIFY_COMPLETED, completed, completed_cls,
                            MHD_OPTION_END);
}

/* The port the daemon is bound to (MHD_DAEMON_INFO_BIND_PORT), 0 when unknown. */
static inline unsigned short
vigil_mhd_bind_port(struct MHD_Daemon *daemon)
{
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    return info == NULL ? 0 : info->port;
}
