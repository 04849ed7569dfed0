import Foundation
import Logging
import VigilCore

/// Counts the statements one collection sends.
final class StatementCounter {
    var count = 0
}

/// A `SQLRunner` on one connection, bounded by the collection's deadline.
final class ConnectionRunner: SQLRunner {
    let connection: LibPQConnection
    let database: String
    let deadline: ContinuousClock.Instant
    let counter: StatementCounter

    init(_ connection: LibPQConnection, database: String, deadline: ContinuousClock.Instant, counter: StatementCounter) {
        self.connection = connection
        self.database = database
        self.deadline = deadline
        self.counter = counter
    }

    func query(_ sql: String, _ params: [String?], prepared: Bool) throws -> QueryResult {
        counter.count += 1
        if prepared { return try connection.queryPrepared(sql, params, deadline: deadline) }
        return try connection.query(sql, params, deadline: deadline)
    }
}

/// A database reached for per-database statistics: a runner, or why there is none.
/// `DatabaseConnector.each` runs a body on every one, replacing a lost connection once.
struct DatabaseHandle {
    let name: String
    let runner: Result<any SQLRunner, PostgresError>
}

/// Gives collectors a runner per connectable database (the DSN's database reuses the main
/// connection). Connections are kept across cycles.
protocol DatabaseConnector: AnyObject {
    func databases() throws -> [DatabaseHandle]
    /// A fresh connection to `database` after its connection was lost (not for the main one).
    func reconnect(database: String) throws -> any SQLRunner
    /// Server process ids of Vigil's own sessions on this server.
    var ownBackendPIDs: [Int32] { get }
}

extension DatabaseConnector {
    /// Runs `body` on every database; failures are collected per database, except the loss of
    /// `main` (the target's own connection), which is thrown. A connection to another database
    /// that turns out lost is replaced once.
    func each<T>(main: any SQLRunner, _ body: (any SQLRunner) throws -> T) throws -> (results: [T], failures: [String]) {
        var results: [T] = []
        var failures: [String] = []
        for db in try databases() {
            switch db.runner {
            case .failure(let e):
                failures.append("\(db.name): \(e)")
            case .success(let runner):
                do {
                    do {
                        results.append(try body(runner))
                    } catch let e as PostgresError where e.kind == .connectionLost && runner !== main {
                        results.append(try body(try reconnect(database: db.name)))
                    }
                } catch let e as PostgresError where e.connectionUnusable && runner === main {
                    throw e
                } catch {
                    failures.append("\(db.name): \(error)")
                }
            }
        }
        return (results, failures)
    }
}

/// The state of one PostgreSQL target, used from its thread only (the collector wraps it
/// in a mutex).
final class PostgresSession: DatabaseConnector {
    let options: PostgresCollectorOptions
    private let logger: Logger
    private var main: LibPQConnection?
    private var mainDatabase = ""
    private var others: [String: LibPQConnection] = [:]
    private var otherBackoff: [String: ReconnectBackoff] = [:]
    private var backoff: ReconnectBackoff
    private let collectors: [any StatCollector]
    private var scrapes: Double = 0
    private var reportedUnavailable: Set<String> = []
    private let epoch = ContinuousClock.now

    // Per-cycle state.
    private var cycleDeadline: ContinuousClock.Instant = .now
    private var cycleCounter = StatementCounter()
    private var cycleDatabases: [DatabaseHandle]?
    /// The databases the last cycle visited: `connect` checks their connections without
    /// asking the server again (each cycle reads the list afresh).
    private var lastDatabaseNames: [String]?

    init(options: PostgresCollectorOptions, logger: Logger) {
        self.options = options
        var l = logger
        l[metadataKey: "dsn"] = "\(Redaction.conninfo(options.dsn))"
        self.logger = l
        backoff = ReconnectBackoff(initial: 1, maximum: options.reconnectBackoffMax)
        collectors = PostgresSession.makeCollectors(options: options, logger: l)
    }

    /// Every statistics view's collector, once: the list a session runs and the switches
    /// `collectors:` accepts (all on by default) both come from here.
    static var registry: [any StatCollector] {
        makeCollectors(options: PostgresCollectorOptions(dsn: ""), logger: Logger(label: "vigil.postgres.registry") { _ in SwiftLogNoOpLogHandler() })
    }

    static func makeCollectors(options: PostgresCollectorOptions, logger: Logger) -> [any StatCollector] {
        let list: [any StatCollector] = [
            StaticInfo(), Postmaster(), StatDatabase(), StatDatabaseConflicts(), DatabaseSize(options: options),
            Locks(), Roles(), StatActivity(), Settings(), StatBGWriter(), StatCheckpointer(), StatArchiver(),
            Wal(), Replication(), StatReplication(), ReplicationSlot(), ReplicationSlots(),
            UserTables(options: options), StatProgressVacuum(),
            StatStatements(options: options), DatabaseWraparound(), SessionsPerDatabase.idleInTransaction(), SessionsPerDatabase.blocked(),
            StatWal(), Extensions(), CustomQueriesCollector(options: options, logger: logger),
        ]
        return list
    }

    private func now() -> Double { (ContinuousClock.now - epoch).seconds }

    /// The last warning logged per collector: the same failure is logged once, not every cycle.
    private var lastWarning: [String: String] = [:]

    private func warnOnce(_ collector: String, _ what: String, _ error: String) {
        guard lastWarning[collector] != error else { return }
        lastWarning[collector] = error
        logger.warning("\(what)", metadata: ["collector": "\(collector)", "error": "\(error)"])
    }

    /// Seconds allowed for connecting: the options' value, or the DSN's `connect_timeout`
    /// when that is shorter (libpq ignores it for the non-blocking connect Vigil uses).
    private var connectTimeout: Double {
        Self.connectTimeout(options: options)
    }

    static func connectTimeout(options: PostgresCollectorOptions) -> Double {
        let fromDSN = (try? LibPQConnection.parse(dsn: options.dsn))?["connect_timeout"].flatMap(Double.init).flatMap { $0 > 0 ? $0 : nil }
        return min(options.connectTimeout, fromDSN ?? .infinity)
    }

    func collect(_ context: CollectContext) throws -> [MetricFamily] {
        let started = ContinuousClock.now
        scrapes += 1
        cycleDeadline = context.deadline
        cycleCounter = StatementCounter()
        cycleDatabases = nil

        var conn = try connectMain(deadline: context.deadline)
        var runner = ConnectionRunner(conn, database: mainDatabase, deadline: context.deadline, counter: cycleCounter)

        var set = FamilyBuilder()
        var probeStart = ContinuousClock.now
        let info: Row
        do {
            do {
                _ = try runner.query("SELECT 1")
            } catch let e as PostgresError where e.kind == .connectionLost {
                // A connection kept from an earlier cycle broke (server restart, terminated
                // backend): replace it once, right away.
                logger.info("connection lost; reconnecting", metadata: ["error": "\(e)"])
                dropMain()
                conn = try connectMain(deadline: context.deadline)
                runner = ConnectionRunner(conn, database: mainDatabase, deadline: context.deadline, counter: cycleCounter)
                probeStart = ContinuousClock.now
                _ = try runner.query("SELECT 1")
            }
            set.gauge("pg_probe_duration_seconds", (ContinuousClock.now - probeStart).seconds, Labels(), help: "Round-trip time of the probe statement (SELECT 1), in seconds.")
            guard let row = try runner.rows("SELECT current_setting('server_version_num') AS num, pg_is_in_recovery() AS replica, version() AS version, current_database() AS db").first else {
                throw PostgresError(.query, "the server returned no version row")
            }
            info = row
        } catch let e as PostgresError {
            if e.connectionUnusable { dropMain() }
            throw e
        }
        let about = try Self.serverInfo(info)
        mainDatabase = about.database
        runner = ConnectionRunner(conn, database: mainDatabase, deadline: context.deadline, counter: cycleCounter)
        let server = ServerContext(
            version: about.version,
            versionString: about.versionString,
            isReplica: about.isReplica,
            options: options,
            connector: self)

        var anyFailed = false
        for c in collectors where c.isEnabled(options) {
            let t = ContinuousClock.now
            var success = 0.0
            do {
                set.append(contentsOf: try c.collect(runner, server))
                success = 1
                reportedUnavailable.remove(c.name)
            } catch let e as PostgresError where e.connectionUnusable {
                dropMain()
                throw e
            } catch let e as PartialFailure {
                anyFailed = true
                set.append(contentsOf: e.families)
                warnOnce(c.name, "collector partly failed", e.message)
            } catch let e as CollectorUnavailable {
                // Something the server lacks (an extension): pg_scrape_collector_success says
                // so; pg_exporter_last_scrape_error stays for failures, which alerts watch.
                if reportedUnavailable.insert(c.name).inserted {
                    logger.notice("collector unavailable", metadata: ["collector": "\(c.name)", "reason": "\(e.reason)"])
                }
            } catch {
                anyFailed = true
                warnOnce(c.name, "collector failed", "\(error)")
            }
            if success == 1, lastWarning.removeValue(forKey: c.name) != nil {
                logger.info("collector recovered", metadata: ["collector": "\(c.name)"])
            }
            let labels: Labels = ["collector": c.name]
            set.gauge("pg_scrape_collector_duration_seconds", (ContinuousClock.now - t).seconds, labels, help: "postgres_exporter: Duration of a collector scrape.")
            set.gauge("pg_scrape_collector_success", success, labels, help: "postgres_exporter: Whether a collector succeeded.")
        }

        set.gauge("pg_exporter_last_scrape_duration_seconds", (ContinuousClock.now - started).seconds, Labels(), help: "Duration of the last scrape of metrics from PostgreSQL.")
        set.counter("pg_exporter_scrapes_total", scrapes, Labels(), help: "Total number of times PostgreSQL was scraped for metrics.")
        set.gauge("pg_exporter_last_scrape_error", anyFailed ? 1 : 0, Labels(), help: "Whether the last scrape of metrics from PostgreSQL resulted in an error (1 for error, 0 for success).")
        set.gauge("vigil_postgres_collection_statements", Double(cycleCounter.count), Labels(), help: "Statements the last collection sent to the server.")
        return set.families
    }

    // MARK: - Connections

    /// Sets up the connections a cycle will use ahead of it, within the connect budget: the
    /// main one (throws when that fails: the server is down) and, when per-database statistics
    /// visit other databases, one to each of them (a database that cannot be reached is left
    /// to its own backoff and reported by the cycle).
    func connect(deadline: ContinuousClock.Instant) throws {
        let conn = try connectMain(deadline: deadline)
        guard options.allDatabases else { return }
        var runner = ConnectionRunner(conn, database: mainDatabase, deadline: deadline, counter: StatementCounter())
        let names: [String]
        if let lastDatabaseNames, !mainDatabase.isEmpty {
            names = lastDatabaseNames
        } else {
            do {
                if mainDatabase.isEmpty, let db = try runner.rows("SELECT current_database() AS db").first?.label("db") {
                mainDatabase = db
                    runner = ConnectionRunner(conn, database: db, deadline: deadline, counter: StatementCounter())
                }
                names = try databaseNames(runner)
            } catch let e as PostgresError {
                if e.connectionUnusable { dropMain() }
                return
            }
        }
        for name in names where name != mainDatabase && !(others[name]?.isHealthy ?? false) {
            guard ContinuousClock.now < deadline else { return }
            _ = try? connection(to: name, deadline: deadline)
        }
    }

    private func databaseNames(_ runner: ConnectionRunner) throws -> [String] {
        var names: [String] = [mainDatabase]
        if options.allDatabases {
            names = try runner.rows("SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate AND has_database_privilege(datname, 'CONNECT') ORDER BY datname")
                .map { $0.label("datname") }
        }
        return names.filter { options.includes(database: $0) }
    }

    private func connectMain(deadline: ContinuousClock.Instant) throws -> LibPQConnection {
        if let main, main.isHealthy { return main }
        dropMain()
        let t = now()
        guard backoff.mayAttempt(at: t) else {
            throw PostgresError(.connect, "reconnecting after \(backoff.failures) failed attempts; next attempt in \(String(format: "%.1f", backoff.wait(at: t))) s")
        }
        let connectDeadline = min(deadline, ContinuousClock.now + .milliseconds(Int64(connectTimeout * 1000)))
        do {
            let c = try LibPQConnection(dsn: options.dsn, applicationName: options.applicationName,
                                        statementTimeout: options.statementTimeout,
                                        lockTimeout: options.lockTimeout, deadline: connectDeadline)
            if backoff.failures > 0 { logger.info("reconnected") }
            backoff.succeeded()
            main = c
            return c
        } catch {
            backoff.failed(at: now())
            throw error
        }
    }

    private func dropMain() {
        main?.close()
        main = nil
        lastDatabaseNames = nil
    }

    /// Runners for every database per-database statistics visit this cycle (computed once per cycle).
    func databases() throws -> [DatabaseHandle] {
        if let cycleDatabases { return cycleDatabases }
        guard let main, main.isHealthy else { throw PostgresError(.connectionLost, "not connected") }
        let mainRunner = ConnectionRunner(main, database: mainDatabase, deadline: cycleDeadline, counter: cycleCounter)
        let names = try databaseNames(mainRunner)
        var handles: [DatabaseHandle] = []
        for name in names {
            if name == mainDatabase {
                handles.append(DatabaseHandle(name: name, runner: .success(mainRunner)))
                continue
            }
            do {
                let c = try connection(to: name, deadline: cycleDeadline)
                handles.append(DatabaseHandle(name: name, runner: .success(ConnectionRunner(c, database: name, deadline: cycleDeadline, counter: cycleCounter))))
            } catch let e as PostgresError {
                handles.append(DatabaseHandle(name: name, runner: .failure(e)))
            }
        }
        // Close connections to databases that are gone or filtered out.
        for (name, c) in others where !names.contains(name) {
            c.close()
            others[name] = nil
            otherBackoff[name] = nil
        }
        cycleDatabases = handles
        lastDatabaseNames = names
        return handles
    }

    func reconnect(database: String) throws -> any SQLRunner {
        others[database]?.close()
        others[database] = nil
        let c = try connection(to: database, deadline: cycleDeadline)
        return ConnectionRunner(c, database: database, deadline: cycleDeadline, counter: cycleCounter)
    }

    private func connection(to database: String, deadline limit: ContinuousClock.Instant) throws -> LibPQConnection {
        if let c = others[database], c.isHealthy { return c }
        others[database]?.close()
        others[database] = nil
        var b = otherBackoff[database] ?? ReconnectBackoff(initial: 1, maximum: max(options.reconnectBackoffMax, 30))
        let t = now()
        guard b.mayAttempt(at: t) else {
            throw PostgresError(.connect, "database \(database): waiting \(String(format: "%.1f", b.wait(at: t))) s before reconnecting")
        }
        let deadline = min(limit, ContinuousClock.now + .milliseconds(Int64(connectTimeout * 1000)))
        do {
            // These sessions read per-table statistics (and the extension list) only.
            let c = try LibPQConnection(dsn: options.dsn, database: database, applicationName: options.applicationName,
                                        statementTimeout: options.statementTimeout,
                                        lockTimeout: options.lockTimeout, statisticsSnapshot: true, deadline: deadline)
            b.succeeded()
            otherBackoff[database] = b
            others[database] = c
            return c
        } catch let e as PostgresError {
            b.failed(at: now())
            otherBackoff[database] = b
            throw e
        }
    }

    var ownBackendPIDs: [Int32] {
        ([main] + others.values.map { Optional($0) }).compactMap { $0?.backendPID }.filter { $0 != 0 }
    }

    func close() {
        dropMain()
        for c in others.values { c.close() }
        others = [:]
    }
}

extension PostgresSession {
    /// What the version row says: `server_version_num`, `pg_is_in_recovery()`, `version()`,
    /// `current_database()`. A version that is not one (a proxy's or a broken server's
    /// answer) fails the collection instead of being guessed. Pure.
    static func serverInfo(_ row: Row) throws -> (version: ServerVersion, versionString: String, isReplica: Bool, database: String) {
        guard let version = row["num"].flatMap(ServerVersion.init(text:)) else {
            throw PostgresError(.query, "the server's server_version_num is not a version number")
        }
        return (version, row.label("version"), row.double("replica") == 1, row.label("db"))
    }
}
