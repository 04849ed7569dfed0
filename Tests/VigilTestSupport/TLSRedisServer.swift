import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A throwaway `redis-server` (from PATH, Debian's is built with TLS) listening only on a TLS
/// port of 127.0.0.1 (`--port 0 --tls-port N`), with the certificates of a `TestCertificates`.
/// Started by the test that needs it and SIGKILLed by `stop()`; its log goes to a file.
public final class TLSRedisServer {
    public let port: Int
    public let certificates: TestCertificates
    public let directory: String
    private let process: Process

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// `clientCertificates`: `--tls-auth-clients yes` (a client certificate signed by the CA is
    /// required) or `no`. `password`: `--requirepass`.
    public init(certificates: TestCertificates, clientCertificates: Bool, password: String? = nil,
                extraArguments: [String] = []) throws {
        guard let exe = TestEnvironment.executable("redis-server") else { throw Failure(description: "redis-server is not installed") }
        self.certificates = certificates
        directory = try TestEnvironment.temporaryDirectory().path
        port = try SilentListener.freePort()
        var args = ["--port", "0", "--tls-port", String(port), "--bind", "127.0.0.1", "--dir", directory,
                    "--save", "", "--appendonly", "no", "--daemonize", "no",
                    "--tls-cert-file", certificates.serverCert, "--tls-key-file", certificates.serverKey,
                    "--tls-ca-cert-file", certificates.caFile, "--tls-auth-clients", clientCertificates ? "yes" : "no"]
        if let password { args += ["--requirepass", password] }
        args += extraArguments
        let log = directory + "/redis.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        defer { try? handle.close() }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        p.standardOutput = handle
        p.standardError = handle
        p.standardInput = FileHandle.nullDevice
        try p.run()
        process = p
        // Up when the TLS port accepts TCP connections (bounded wait).
        let up = eventually(15) { !p.isRunning || Self.accepts(port: port) }
        guard up, p.isRunning else {
            stop()
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw Failure(description: "redis-server with --tls-port did not start: \(text.suffix(600))")
        }
    }

    /// `rediss://[:password@]127.0.0.1:port`.
    public func url(password: String? = nil, host: String = "127.0.0.1") -> String {
        "rediss://\(password.map { ":\($0)@" } ?? "")\(host):\(port)"
    }

    public func stop() { stopChild(process) }

    deinit { stop() }

    static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
}
