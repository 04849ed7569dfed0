import ArgumentParser
import Dispatch
import Foundation
import HTTPServer
import Logging
import Notify
import RemoteWrite
import Rules
import Synchronization
import VigilCore

/// Wires configuration, scheduler, snapshot store and HTTP server together, and owns the
/// process lifecycle: SIGTERM/SIGINT stop, SIGHUP and POST /-/reload reload.
final class VigilApp: Sendable {
    private let configFile: String?
    private let listenOverride: String?
    private let webConfigOverride: String?
    /// The web security in force (basic auth users, headers) and the TLS the server started with.
    private let web = Mutex<WebConfigFile>(WebConfigFile())
    private let basicAuth = BasicAuth(realm: "Vigil")
    /// `web.health_without_auth` of the running configuration.
    private let openProbes = Atomic<Bool>(false)
    private let logger: Logger
    private let store = SnapshotStore()
    private let current = Mutex<Running?>(nil)
    private let reloads = ReloadCounters()
    private let signalQueue = DispatchQueue(label: "vigil.signals")
    /// Reloads are applied one at a time, in order; shutdown waits for the one in progress.
    private let lifecycle = Lifecycle()
    private let signals = Mutex<SignalWatcher?>(nil)
    private let httpServer = Mutex<HTTPServer?>(nil)
    private let rules = Mutex<RuleRuntime?>(nil)
    private let notify: NotifyService
    /// `remote_write:` queues; fed by every landed collection and rule evaluation.
    private let remote: RemoteStorage
    /// Whether the start-up pages were released (`MemoryFootprint.releaseStartupPages`).
    private let startupPages = Mutex(false)
    /// External labels and URL of the running configuration, for alerts sent to receivers.
    private let external = Mutex<(labels: [String: String], url: String)>(([:], ""))
    /// Each scheduled target's interval by source key, for the rule runtime's landing-driven groups.
    private let intervals = Mutex<[String: Double]>([:])

    private struct Running: Sendable {
        var config: VigilConfig
        var scheduler: Scheduler
    }

    init(configFile: String?, listenOverride: String?, webConfigOverride: String? = nil, logger: Logger) {
        self.configFile = configFile
        self.listenOverride = listenOverride
        self.webConfigOverride = webConfigOverride
        self.logger = logger
        self.notify = NotifyService(logger: logger)
        self.remote = RemoteStorage(userAgent: "Vigil/\(VigilVersion.current)", logger: logger)
    }

    func run(initial config: VigilConfig) async throws {
        let listen = listenOverride ?? config.web.listenAddress
        await notify.apply(config)
        external.withLock { $0 = (config.global.externalLabels, config.global.externalURL) }
        // Before the rule runtime, which publishes its statistics as it starts.
        _ = remote.apply(config.remoteWrite, externalLabels: config.global.externalLabels)
        let ruleService = RuleRuntime(settings: config.ruleRuntimeSettings, store: store, logger: logger) { [self] update in
            let (labels, url) = external.withLock { $0 }
            notify.receive(update, externalLabels: labels, externalURL: url)
        } onPublish: { [remote] families, at in
            remote.append(families, at: at)
        }
        rules.withLock { $0 = ruleService }
        // API queries evaluate on their own threads; web.query_* apply from the start (a reload
        // keeps the running values, like the rest of web.*).
        let queries = QueryRunner(config: config.web)
        let status = StatusPageSource(.init(
            targets: { [self] in current.withLock { $0?.scheduler }?.statuses() ?? [] },
            rules: { ruleService.snapshot() }, notifier: { [notify] in notify.notifier }, ready: { [store] in store.isReady },
            dashboardsURL: { [self] in current.withLock { $0?.config.web.dashboardsURL } }))
        let reads = RulesReadAPI(view: { ruleService.view() })
        let routes = Routes(store: store, rules: ruleService, queries: queries, reads: reads,
                            silences: { [notify] in notify.notifier.map { SilenceAPI(store: $0.silences) } },
                            status: status,
                            reload: { [self] in self.reload(trigger: "http") })
        let security: WebConfigFile
        do {
            security = try loadWebConfig(config)
        } catch {
            logger.critical("invalid web configuration file", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
        web.withLock { $0 = security }
        openProbes.store(config.web.healthWithoutAuth, ordering: .relaxed)
        let server: HTTPServer
        do {
            server = try HTTPServer(
                listenAddress: listen,
                connectionLimit: config.web.maxConnections,
                connectionTimeoutSeconds: Int(config.web.connectionTimeout.rounded(.up)),
                headerTimeoutSeconds: config.web.headerTimeout,
                threads: Self.httpThreads,
                log: { [logger] message in logger.debug("http", metadata: ["detail": "\(message)"]) },
                tls: security.tls,
                reply: { [self] request in guarded(request, routes) })
            server.setResponseHeaders(SecurityHeaders.everyResponse(security.headers))
            httpServer.withLock { $0 = server }
        } catch {
            logger.critical("cannot start the HTTP server", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
        start(config)
        logger.info("vigil started", metadata: [
            "version": "\(VigilVersion.current)", "listen_address": "\(listen)", "port": "\(server.port)",
            "config": "\(config.source)",
            "targets": "\(Self.kindsSummary(config))",
        ])
        warnUnmatchedRuleFiles(config)

        await waitForTermination()

        logger.info("stopping")
        // Queries first: evaluating ones are cancelled (they stop at their next poll) and
        // waiting ones answered 503, so no client waits for the rest of the shutdown.
        queries.shutdown(waitSeconds: 0.5)
        await lifecycle.drain()
        let scheduler = current.withLock { $0?.scheduler }
        let stopped = await Lifecycle.blocking("vigil-stop") { scheduler?.stop(timeout: 3) ?? true }
        if !stopped { logger.warning("some collectors were still busy at shutdown") }
        ruleService.stop()
        await Lifecycle.blocking("vigil-stop") { [remote] in remote.stop() }
        await notify.stop()
        await Lifecycle.blocking("vigil-stop") { server.stop() }
        basicAuth.shutdown()
        status.shutdown()
        reads.shutdown()
        logger.info("stopped")
    }

    /// The web configuration file in force: `--web.config.file`, else `web.config_file`, else none.
    private func loadWebConfig(_ config: VigilConfig) throws(PositionedError) -> WebConfigFile {
        guard let path = webConfigOverride ?? config.web.configFile else { return WebConfigFile() }
        return try WebConfigFile.load(path: path)
    }

    /// Every endpoint behind basic auth when `basic_auth_users` is set; `/-/healthy` and
    /// `/-/ready` stay open when `web.health_without_auth` says so (orchestrator probes).
    private func guarded(_ request: HTTPRequest, _ routes: Routes) -> HTTPReply {
        let users = web.withLock { $0.users }
        guard !users.isEmpty else { return routes.handle(request) }
        if Self.probePaths.contains(request.path), openProbes.load(ordering: .relaxed) {
            return routes.handle(request)
        }
        return basicAuth.authorize(request, users: users) { routes.handle($0) }
    }

    /// The endpoints `web.health_without_auth` leaves open.
    static let probePaths: Set<String> = ["/-/healthy", "/-/ready"]

    /// "postgres=2 redis=1" for the start-up log line.
    static func kindsSummary(_ config: VigilConfig) -> String {
        VigilConfig.kinds.map { "\($0.section)=\(config.targets(of: $0.section).count)" }.joined(separator: " ")
    }

    /// libmicrohttpd threads. Their handlers copy pre-rendered bytes or defer: queries, the
    /// status page, `/api/v1/alerts` and `/api/v1/rules` render on threads of their own.
    static let httpThreads = 4

    /// Every target the scheduler runs for `config`: the configured ones (`prepared`, else
    /// built now), Vigil's own, and the remote-write self-metrics when remotes are configured.
    private func scheduledTargets(_ config: VigilConfig, prepared: [TargetSpec]? = nil) -> [TargetSpec] {
        var targets = prepared ?? TargetFactory.targets(for: config, reloads: reloads, notify: notify, logger: logger)
        if !config.remoteWrite.isEmpty {
            targets.append(TargetSpec(name: "remote_write", interval: config.global.collectInterval,
                                      timeout: config.timeout(interval: config.global.collectInterval, own: nil),
                                      collector: RemoteStorageCollector(storage: remote)))
        }
        return targets
    }

    private static func intervals(_ targets: [TargetSpec]) -> [String: Double] {
        Dictionary(targets.map { ($0.sourceKey, $0.interval) }, uniquingKeysWith: { a, _ in a })
    }

    private func start(_ config: VigilConfig) {
        let targets = scheduledTargets(config)
        intervals.withLock { $0 = Self.intervals(targets) }
        let ruleService = rules.withLock { $0 }
        let scheduler = Scheduler(targets: targets, store: store, logger: logger, onPublish: { [self] source, families, at in
            let interval = intervals.withLock { $0[source] } ?? 0
            ruleService?.ingest(source: source, families: families, at: at, targetInterval: interval)
            MemoryFootprint.trimAllocator()
            // Once, after the first collection round: start-up's pages stop counting as resident.
            if store.isReady, MemoryFootprint.releasesStartupPages, startupPages.withLock({ released in defer { released = true }; return !released }) {
                let bytes = MemoryFootprint.releaseStartupPages()
                logger.debug("released start-up pages", metadata: ["mapped_bytes_advised": "\(bytes)"])
            }
        }, onStore: { [remote] _, families, at in
            remote.append(families, at: at)
        })
        store.retain(sources: scheduler.sourceKeys.union([RuleRuntime.source]))
        scheduler.start()
        current.withLock { $0 = Running(config: config, scheduler: scheduler) }
    }

    /// Reloads the configuration file. The new configuration is parsed first; when it is
    /// invalid, the error is logged and returned and the running configuration stays.
    /// Everything that could fail when applying is checked here, before the answer: the file
    /// parses, every collector builds, the state directory is usable. What follows the answer
    /// (swapping scheduler, rules and notifier) has no failure left to report.
    @discardableResult
    func reload(trigger: String) -> Result<Void, PositionedError> {
        let newConfig: VigilConfig
        let targets: [TargetSpec]
        let newWeb: WebConfigFile
        do {
            newConfig = try RunCommand.loadConfig(file: configFile, environment: ProcessInfo.processInfo.environment)
            newWeb = try loadWebConfig(newConfig)
            try prepare(newConfig)
            targets = TargetFactory.targets(for: newConfig, reloads: reloads, notify: notify, logger: logger)
        } catch let error as PositionedError {
            reloads.record(success: false)
            logger.error("reload failed; keeping the running configuration", metadata: ["trigger": "\(trigger)", "error": "\(error)"])
            return .failure(error)
        } catch {
            reloads.record(success: false)
            let wrapped = PositionedError(file: configFile ?? "", line: 0, column: 0, field: "", message: "\(error)")
            logger.error("reload failed; keeping the running configuration", metadata: ["trigger": "\(trigger)", "error": "\(wrapped)"])
            return .failure(wrapped)
        }
        let old = current.withLock { $0 }
        if let old, old.config.web.listenAddress != newConfig.web.listenAddress, listenOverride == nil {
            logger.warning("web.listen_address changed; it takes effect after a restart")
        }
        if let old, old.config.web.maxConnections != newConfig.web.maxConnections
            || old.config.web.connectionTimeout != newConfig.web.connectionTimeout {
            logger.warning("web.max_connections or web.connection_timeout changed; they take effect after a restart")
        }
        let oldWeb = web.withLock { $0 }
        if oldWeb.tls != newWeb.tls {
            logger.warning("tls_server_config changed; the certificates and TLS settings take effect after a restart")
        }
        // Users and headers apply at once; the TLS the server started with stays.
        web.withLock { $0 = WebConfigFile(tls: oldWeb.tls, users: newWeb.users, headers: newWeb.headers) }
        openProbes.store(newConfig.web.healthWithoutAuth, ordering: .relaxed)
        httpServer.withLock { $0 }?.setResponseHeaders(SecurityHeaders.everyResponse(newWeb.headers))
        reloads.record(success: true)
        // Stopping waits for busy collectors, so the swap happens off the caller's thread, as one
        // lifecycle step: two quick reloads apply one after the other, each to the targets the
        // one before left running.
        lifecycle.enqueue { [self] in
            external.withLock { $0 = (newConfig.global.externalLabels, newConfig.global.externalURL) }
            await notify.apply(newConfig)
            rules.withLock { $0 }?.reload(newConfig.ruleRuntimeSettings)
            // Unchanged remotes keep their queues; replaced ones flush (bounded) or count the loss.
            let replaced = remote.apply(newConfig.remoteWrite, externalLabels: newConfig.global.externalLabels)
            let wanted = scheduledTargets(newConfig, prepared: targets)
            var summary: Logger.Metadata = [:]
            if let scheduler = current.withLock({ $0 })?.scheduler {
                // Only what changed restarts: unchanged targets keep their thread, connection,
                // schedule, counters and last status (the status page never shows them unknown).
                intervals.withLock { $0.merge(Self.intervals(wanted)) { _, new in new } }
                let (plan, inTime) = await Lifecycle.blocking("vigil-reload") { scheduler.apply(wanted, stopTimeout: 5) }
                intervals.withLock { $0 = Self.intervals(wanted) }
                store.retain(sources: scheduler.sourceKeys.union([RuleRuntime.source]))
                current.withLock { $0 = Running(config: newConfig, scheduler: scheduler) }
                if !inTime { logger.warning("some replaced collectors were still busy; their late results are dropped") }
                summary = ["kept": "\(plan.kept.count)", "restarted": "\(plan.restarted.joined(separator: ","))",
                           "added": "\(plan.added.joined(separator: ","))", "removed": "\(plan.removed.joined(separator: ","))"]
            } else {
                start(newConfig)
            }
            await Lifecycle.blocking("vigil-reload") { [logger] in RemoteStorage.stop(replaced, logger: logger) }
            logger.info("configuration reloaded", metadata: summary.merging(["trigger": "\(trigger)", "config": "\(newConfig.source)"]) { a, _ in a })
            warnUnmatchedRuleFiles(newConfig)
        }
        return .success(())
    }

    /// One warning per `rule_files` glob that matched no file (e.g. the embedded default's
    /// /usr/share/vigil/rules/*.yml when the rules are not installed).
    private func warnUnmatchedRuleFiles(_ config: VigilConfig) {
        for pattern in config.unmatchedRuleFiles {
            logger.warning("rule_files pattern matched no file", metadata: ["pattern": "\(pattern)", "config": "\(config.source)"])
        }
    }

    /// The checks a configuration passes before a reload is answered, beyond parsing: every
    /// target's collector can be built from its options (the same parsers as loading, so this
    /// only catches drift) and the state directory can be created and written (the notifier's
    /// outbox and the alert state live there).
    private func prepare(_ config: VigilConfig) throws(PositionedError) {
        let file = configFile ?? config.source
        for t in config.targets {
            do {
                _ = try t.makeCollector(logger: logger)
            } catch {
                throw PositionedError(file: file, line: 0, column: 0, field: t.kind, message: "target \(t.name): \(error)")
            }
        }
        if let problem = Self.stateDirectoryProblem(config.global.stateDirectory) {
            throw PositionedError(file: file, line: 0, column: 0, field: "global.state_dir", message: problem)
        }
    }

    /// Why `path` cannot hold Vigil's state (created when missing), or nil when it can.
    static func stateDirectoryProblem(_ path: String) -> String? {
        let fm = FileManager.default
        do {
            try fm.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            return "cannot create the state directory \(path)"
        }
        let probe = (path as NSString).appendingPathComponent(".vigil-write-check-\(getpid())")
        guard fm.createFile(atPath: probe, contents: Data()) else {
            return "the state directory \(path) is not writable"
        }
        try? fm.removeItem(atPath: probe)
        return nil
    }

    /// Suspends until SIGTERM or SIGINT; SIGHUP triggers a reload meanwhile.
    private func waitForTermination() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let once = Mutex(Optional(continuation))
            let watcher = SignalWatcher(
                queue: signalQueue,
                onTerminate: { [logger] name in
                    logger.info("signal received", metadata: ["signal": "\(name)"])
                    once.withLock { $0.take() }?.resume()
                },
                onHangup: { [self] in _ = self.reload(trigger: "SIGHUP") })
            signals.withLock { $0 = watcher }
        }
    }
}
