import Foundation
import Testing
import VigilTestSupport

/// What the dashboards need on top of the servers of scripts/test, for the length of one test:
/// `Fixtures/dashboards/workload.py` (the app, the PostgreSQL and Redis workload, BullMQ queues,
/// backups; see there) and a maxmemory on the shared Redis (so memory-use panels have a divisor),
/// put back afterwards.
final class LiveEnvironment {
    static let databaseName = "vigil_dashboards"
    /// Redis databases for session keys, team sets and BullMQ, away from the other suites' ones
    /// (9 to 11 are RedisCollectorIntegrationTests'); emptied before and after.
    static let redisDBs = [13, 14, 15]

    let directory: URL
    let backups: String
    private(set) var appPort = 0
    private let workload = Process()
    private let stdin = Pipe()
    private let redisCLI: String
    private let redisURL: String
    private let pgDSN: String
    private var maxmemory: String?

    struct Failure: Error, CustomStringConvertible { var description: String }

    /// `dsn` with its database replaced by ours.
    static func database(_ dsn: String) -> String {
        guard var c = URLComponents(string: dsn) else { return dsn }
        c.path = "/" + databaseName
        return c.string ?? dsn
    }

    init(python: String, pythonPath: String, redisCLI: String, pg: String, redis: String) throws {
        directory = try TestEnvironment.temporaryDirectory()
        backups = directory.appendingPathComponent("backups").path
        self.redisCLI = redisCLI
        self.redisURL = redis
        self.pgDSN = pg

        let current = try Subprocess.run(redisCLI, ["-u", redis, "CONFIG", "GET", "maxmemory"], timeout: 10)
        maxmemory = current.stdout.split(separator: "\n").dropFirst().first.map(String.init)
        _ = try Subprocess.run(redisCLI, ["-u", redis, "CONFIG", "SET", "maxmemory", "1073741824"], timeout: 10)
        flushRedis()

        let script = DashboardModel.root.appendingPathComponent("Tests/VigilTests/Fixtures/dashboards/workload.py").path
        let portFile = directory.appendingPathComponent("port").path
        let logFile = directory.appendingPathComponent("workload.log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let log = try FileHandle(forWritingTo: logFile)
        workload.executableURL = URL(fileURLWithPath: python)
        workload.arguments = [script, "--pg-dsn", pg, "--database", Self.databaseName, "--redis-url", redis,
                              "--redis-dbs", Self.redisDBs.map(String.init).joined(separator: ","),
                              "--backups", backups, "--port-file", portFile, "--seconds", "600"]
        var env = ProcessInfo.processInfo.environment
        env["PYTHONPATH"] = pythonPath
        workload.environment = env
        workload.standardInput = stdin
        workload.standardOutput = log
        workload.standardError = log
        try workload.run()
        var port: Int?
        let deadline = Date().addingTimeInterval(90)
        while port == nil, Date() < deadline, workload.isRunning {
            port = (try? String(contentsOfFile: portFile, encoding: .utf8)).flatMap { Int($0) }
            if port == nil { Thread.sleep(forTimeInterval: 0.1) }
        }
        guard let port else {
            let text = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
            stop()
            throw Failure(description: "the dashboard workload did not start:\n\(text)")
        }
        appPort = port
    }

    private func flushRedis() {
        for db in Self.redisDBs {
            _ = try? Subprocess.run(redisCLI, ["-u", redisURL, "-n", String(db), "FLUSHDB"], timeout: 10)
        }
    }

    /// Ends the workload (closing its stdin ends its psql sessions), drops its database (and any
    /// session left in it) and its Redis data, and puts maxmemory back.
    func stop() {
        try? stdin.fileHandleForWriting.close()
        if !eventually(20, every: 0.1, { !workload.isRunning }) { stopChild(workload) }
        if let psql = TestEnvironment.executable("psql") {
            _ = try? Subprocess.run(psql, [pgDSN, "-qAt", "-c", "DROP DATABASE IF EXISTS \(Self.databaseName) WITH (FORCE)"],
                                    timeout: 30)
        }
        flushRedis()
        if let maxmemory {
            _ = try? Subprocess.run(redisCLI, ["-u", redisURL, "CONFIG", "SET", "maxmemory", maxmemory], timeout: 10)
            self.maxmemory = nil
        }
        try? FileManager.default.removeItem(at: directory)
    }
}

/// Prometheus' HTTP API, as Grafana uses it: instant queries and label values.
struct PrometheusQueries {
    let port: Int

    struct Answer {
        var samples: [(labels: [String: String], value: Double)] = []
        var error: String?
    }

    static func encode(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }

    func get(_ path: String) -> [String: Any]? {
        guard let r = try? HTTPTestClient.request(port: port, path: path, timeout: 20),
              let top = try? JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any] else { return nil }
        return top
    }

    func query(_ expr: String) -> Answer {
        guard let top = get("/api/v1/query?query=\(Self.encode(expr))") else { return Answer(error: "no answer") }
        if top["status"] as? String != "success" {
            return Answer(error: "\(top["errorType"] ?? ""): \(top["error"] ?? "")")
        }
        let data = top["data"] as? [String: Any] ?? [:]
        if data["resultType"] as? String == "scalar", let v = data["result"] as? [Any], v.count == 2 {
            return Answer(samples: [([:], Double(v[1] as? String ?? "") ?? .nan)])
        }
        let result = data["result"] as? [[String: Any]] ?? []
        return Answer(samples: result.map { s in
            let value = (s["value"] as? [Any]).flatMap { $0.count == 2 ? $0[1] as? String : nil }
            return (s["metric"] as? [String: String] ?? [:], Double(value ?? "") ?? .nan)
        })
    }

    func vector(_ expr: String) -> [(labels: [String: String], value: Double)] { query(expr).samples }

    func labelValues(_ label: String, match: String) -> [String] {
        let top = get("/api/v1/label/\(label)/values?match%5B%5D=\(Self.encode(match))")
        return (top?["data"] as? [String]) ?? []
    }
}
