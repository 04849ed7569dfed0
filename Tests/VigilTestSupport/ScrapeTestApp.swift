import Foundation
import Testing

/// `Resources/scrape-test-app.py` as a child process: an app instrumented with the official
/// Python `prometheus_client` (installed by scripts/test into the directory named by
/// `VIGIL_TEST_PROMETHEUS_CLIENT_PYTHONPATH`) plus hostile endpoints, on 127.0.0.1.
public final class ScrapeTestApp {
    public let port: Int
    private let process: Process

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// nil (after recording a failure when the suite requires its tools) without the package.
    public static func start(series: Int? = nil, port: Int = 0) throws -> ScrapeTestApp? {
        guard let path = TestEnvironment.value("VIGIL_TEST_PROMETHEUS_CLIENT_PYTHONPATH") else { return nil }
        return try ScrapeTestApp(pythonPath: path, series: series, port: port)
    }

    init(pythonPath: String, series: Int?, port requested: Int) throws {
        guard let script = Bundle.module.url(forResource: "scrape-test-app", withExtension: "py", subdirectory: "Resources") else {
            throw Failure(description: "scrape-test-app.py is not in the test bundle")
        }
        let portFile = try TestEnvironment.temporaryDirectory().path + "/port"
        var args = [script.path, "--port-file", portFile, "--port", String(requested)]
        if let series { args += ["--series", String(series)] }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        p.arguments = args
        var env = ProcessInfo.processInfo.environment
        env["PYTHONPATH"] = pythonPath
        p.environment = env
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(20)
        var port: Int?
        while port == nil, Date() < deadline, p.isRunning {
            port = (try? String(contentsOfFile: portFile, encoding: .utf8)).flatMap { Int($0) }
            if port == nil { Thread.sleep(forTimeInterval: 0.02) }
        }
        guard let port else {
            if p.isRunning { kill(p.processIdentifier, SIGKILL) }
            throw Failure(description: "the scrape test app did not start (is prometheus_client on PYTHONPATH?)")
        }
        self.port = port
        self.process = p
    }

    public var address: String { "127.0.0.1:\(port)" }
    public var isRunning: Bool { process.isRunning }

    public func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}
