import Foundation

/// `Resources/http-test-server.py` as a child process: a real HTTP or HTTPS server on
/// 127.0.0.1 (see the script for its paths). Stopped with SIGKILL (children started from
/// Swift Testing inherit a blocked SIGTERM).
public final class HTTPTestServer {
    public let port: Int
    private let process: Process

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// - Parameters:
    ///   - tls: serve HTTPS with these certificates.
    ///   - requireClientCertificate: with `tls`, refuse clients without a certificate from the test CA.
    public init(tls: TestCertificates? = nil, requireClientCertificate: Bool = false) throws {
        guard let script = Bundle.module.url(forResource: "http-test-server", withExtension: "py", subdirectory: "Resources") else {
            throw Failure(description: "http-test-server.py is not in the test bundle")
        }
        let dir = try TestEnvironment.temporaryDirectory().path
        let portFile = dir + "/port"
        var args = [script.path, "--port-file", portFile]
        if let tls {
            args += ["--cert", tls.serverCert, "--key", tls.serverKey]
            if requireClientCertificate { args += ["--client-ca", tls.caFile] }
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        p.arguments = args
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
            throw Failure(description: "the HTTP test server did not start")
        }
        self.port = port
        self.process = p
    }

    public func url(_ path: String, scheme: String? = nil) -> String {
        "\(scheme ?? "http")://127.0.0.1:\(port)\(path)"
    }

    public func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}
