import Foundation
import Testing
import VigilTestSupport

/// A running `vigil` binary on a free loopback port, with its configuration in a temporary
/// directory and its log captured. Killed when released.
final class VigilProcess {
    let port: Int
    let directory: URL
    let configFile: URL
    let logFile: URL
    private let process = Process()

    /// `config` is YAML without the `web` section; `listen_address` is added.
    init(binary: String, config: String, arguments: [String] = [], environment: [String: String] = [:]) throws {
        port = try SilentListener.freePort()
        directory = try TestEnvironment.temporaryDirectory()
        configFile = directory.appendingPathComponent("vigil.yml")
        logFile = directory.appendingPathComponent("vigil.log")
        try write(config: config)
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["run", "--config", configFile.path] + arguments
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { _, new in new }
        process.environment = env
        let log = try FileHandle(forWritingTo: logFile)
        process.standardError = log
        process.standardOutput = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// Rewrites the configuration file (for reload tests).
    func write(config: String) throws {
        let full = "web:\n  listen_address: \"127.0.0.1:\(port)\"\n" + config
        try full.write(to: configFile, atomically: true, encoding: .utf8)
    }

    var isRunning: Bool { process.isRunning }
    var pid: Int32 { process.processIdentifier }

    /// A field of `/proc/<pid>/status` in kB (`VmHWM`, `VmRSS`), nil when unreadable.
    func statusKilobytes(_ field: String) -> Int? {
        // A /proc file says it is empty: read it to its end rather than by its size.
        guard let data = FileHandle(forReadingAtPath: "/proc/\(pid)/status")?.readDataToEndOfFile() else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            return Int(line.dropFirst(field.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "")
        }
        return nil
    }
    var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    func waitHealthy(_ seconds: Double = 20) -> Bool {
        eventually(seconds) { (try? get("/-/healthy").status) == 200 }
    }

    func waitReady(_ seconds: Double = 30) -> Bool {
        eventually(seconds) { (try? get("/-/ready").status) == 200 }
    }

    func get(_ path: String, method: String = "GET", headers: [String: String] = [:], timeout: Double = 5) throws -> HTTPTestClient.Response {
        try HTTPTestClient.request(port: port, method: method, path: path, headers: headers, timeout: timeout)
    }

    func metrics() -> String { (try? get("/metrics").text) ?? "" }

    /// The value of the first sample line starting with `series` followed by a space
    /// (e.g. `pg_up` or `redis_up{server="a"}`).
    func value(_ series: String) -> Double? {
        Self.value(series, in: metrics())
    }

    static func value(_ series: String, in text: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1).split(separator: " ").first ?? "")
        }
        return nil
    }

    func signal(_ sig: Int32) { kill(process.processIdentifier, sig) }

    /// Sends SIGTERM and waits; returns the exit status and how long the exit took.
    func terminate(timeout: Double = 10) -> (status: Int32?, seconds: Double) {
        let start = Date()
        signal(SIGTERM)
        let exited = eventually(timeout, every: 0.02) { !process.isRunning }
        return (exited ? process.terminationStatus : nil, Date().timeIntervalSince(start))
    }
}
