import Foundation
import VigilCore
import Logging
import Testing
import VigilCore
@testable import RedisCollector
import VigilTestSupport

/// `rediss://` against Debian's redis-server started here with `--port 0 --tls-port N`
/// (nothing but TLS is listening), certificates made by `openssl` for this run.
@Suite("Redis over TLS against a real TLS redis-server", .serialized)
struct RedisTLSTests {
    static let logger = Logger(label: "test.redis.tls")

    /// The servers this suite needs, or nil (after recording a failure when servers are required).
    static func server(clientCertificates: Bool, password: String? = nil) throws -> TLSRedisServer? {
        guard TestEnvironment.has("VIGIL_TEST_REDIS_URL"), TestEnvironment.tool("redis-server") != nil else { return nil }
        return try TLSRedisServer(certificates: try TestCertificates.make(), clientCertificates: clientCertificates, password: password)
    }

    static func collector(_ url: String, _ tls: TLSOptions?, password: String? = nil, connectTimeout: Double = 5) throws -> RedisCollector {
        try RedisCollector(options: .init(url: url, tls: tls, password: password, connectTimeout: connectTimeout,
                                          reconnectBackoffInitial: 0.001, bullmq: .init(enabled: false)), logger: logger)
    }

    static func context(_ seconds: Double = 5) -> CollectContext {
        CollectContext(startedAt: Date(), deadline: .now + .milliseconds(Int64(seconds * 1000)))
    }

    /// A collection's error text.
    static func failure(_ c: RedisCollector, _ seconds: Double = 5) -> String? {
        do {
            _ = try c.collect(context(seconds))
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test("rediss:// with the CA verifies the server and collects redis_exporter's families over TLS 1.3")
    func serverOnly() throws {
        guard let server = try Self.server(clientCertificates: false) else { return }
        defer { server.stop() }
        let c = try Self.collector(server.url(), TLSOptions(caFile: server.certificates.caFile))
        defer { c.close() }
        let families = try c.collect(Self.context())
        #expect(families.value("redis_memory_used_bytes") ?? 0 > 0)
        #expect(families.value("redis_instance_info", ["role": "master"]) == 1)
        // A second cycle reuses the TLS connection (and the pipelined LATENCY/SLOWLOG round trip works).
        let again = try c.collect(Self.context())
        #expect(again.value("redis_exporter_scrapes_total") == 2)
        #expect(again["redis_slowlog_length"] != nil)
        #expect(again.value("redis_connected_clients") == 1, "one connection for both cycles")
    }

    @Test("the TLS connection carries binary-safe values, pipelines, and a large reply read in many records")
    func protocolOverTLS() throws {
        guard let server = try Self.server(clientCertificates: false) else { return }
        defer { server.stop() }
        let e = try RedisEndpoint.parse(server.url())
        let c = try HiredisConnection(.init(endpoint: e, password: nil, connectTimeout: 5, commandTimeout: 5, clientName: "vigil-tls",
                                            tls: .init(caFile: server.certificates.caFile)), deadline: .now + .seconds(10))
        #expect(c.tlsVersion == "TLSv1.3")
        let value: [UInt8] = [0, 1, 2, 255, 0, 13, 10]
        #expect(try c.command(bytes: [Array("SET".utf8), Array("bin".utf8), value]) == .status("OK"))
        #expect(try c.command(bytes: [Array("GET".utf8), Array("bin".utf8)]) == .string(value))
        let big = [UInt8](repeating: UInt8(ascii: "x"), count: 3 << 20)
        #expect(try c.command(bytes: [Array("SET".utf8), Array("big".utf8), big]) == .status("OK"))
        #expect(try c.command(["GET", "big"]) == .string(big))
        let replies = try c.pipeline([["PING"], ["ECHO", "x"], ["BOGUS"], ["CLIENT", "GETNAME"]])
        #expect(replies.count == 4)
        #expect(replies[0] == .status("PONG"))
        #expect(replies[1] == .string(Array("x".utf8)))
        #expect(replies[2].errorMessage?.hasPrefix("ERR") == true)
        #expect(replies[3].text == "vigil-tls")
    }

    @Test("--tls-auth-clients yes: refused without a client certificate, collected with one")
    func clientCertificate() throws {
        guard let server = try Self.server(clientCertificates: true) else { return }
        defer { server.stop() }
        let certs = server.certificates
        let without = try Self.collector(server.url(), TLSOptions(caFile: certs.caFile))
        let error = Self.failure(without)
        #expect(error != nil)
        #expect(error?.contains("rediss://127.0.0.1:\(server.port)") == true, "\(error ?? "")")
        #expect(error?.contains("certificate") == true, "the reason is named: \(error ?? "")")

        let with = try Self.collector(server.url(), TLSOptions(caFile: certs.caFile, certFile: certs.clientCert, keyFile: certs.clientKey))
        defer { with.close() }
        #expect(try with.collect(Self.context()).value("redis_memory_used_bytes") ?? 0 > 0)
    }

    @Test("a wrong CA is refused with a readable, redacted error, and the Scheduler publishes redis_up 0")
    func wrongCA() throws {
        guard let server = try Self.server(clientCertificates: false, password: "hunter2-secret") else { return }
        defer { server.stop() }
        let c = try Self.collector(server.url(password: "hunter2-secret"), TLSOptions(caFile: server.certificates.otherCAFile))
        let error = Self.failure(c) ?? ""
        #expect(error.contains("certificate was not accepted"), "\(error)")
        // OpenSSL's verdict on the chain this server sends (its certificate and the CA).
        #expect(error.contains("self-signed certificate in certificate chain") || error.contains("unable to get local issuer certificate"), "\(error)")
        #expect(!error.contains("hunter2"), "no password in \(error)")

        let store = SnapshotStore()
        let scheduler = Scheduler(targets: [TargetSpec(name: "tls", interval: 1, timeout: 5, collector: c)], store: store, logger: Self.logger)
        scheduler.start()
        defer { scheduler.stop() }
        #expect(eventually(10) { store.isReady })
        let body = String(decoding: store.body(.text, gzip: false), as: UTF8.self)
        #expect(body.contains("redis_up 0"), "\(body.prefix(400))")
        #expect(!body.contains("hunter2"))
    }

    @Test("the certificate's name is checked: server_name vigil.test passes, another name fails, insecure_skip_verify accepts any CA")
    func serverName() throws {
        guard let server = try Self.server(clientCertificates: false) else { return }
        defer { server.stop() }
        let ca = server.certificates.caFile
        let named = try Self.collector(server.url(), TLSOptions(caFile: ca, serverName: "vigil.test"))
        defer { named.close() }
        #expect(try named.collect(Self.context()).value("redis_memory_used_bytes") ?? 0 > 0)
        let localhost = try Self.collector(server.url(host: "localhost"), TLSOptions(caFile: ca))
        defer { localhost.close() }
        #expect(Self.failure(localhost) == nil, "localhost is in the certificate")

        let wrong = try Self.collector(server.url(), TLSOptions(caFile: ca, serverName: "cache.example.com"))
        let error = Self.failure(wrong) ?? ""
        #expect(error.contains("hostname mismatch"), "\(error)")

        let insecure = try Self.collector(server.url(), TLSOptions(caFile: server.certificates.otherCAFile, insecureSkipVerify: true))
        defer { insecure.close() }
        #expect(Self.failure(insecure) == nil)
    }

    @Test("password authentication over TLS: the right password collects, a wrong one fails without showing it")
    func password() throws {
        guard let server = try Self.server(clientCertificates: false, password: "s3cret-over-tls") else { return }
        defer { server.stop() }
        let tls = TLSOptions(caFile: server.certificates.caFile)
        let good = try Self.collector(server.url(), tls, password: "s3cret-over-tls")
        defer { good.close() }
        #expect(try good.collect(Self.context()).value("redis_memory_used_bytes") ?? 0 > 0)

        let bad = try Self.collector(server.url(password: "not-the-password"), tls)
        let error = Self.failure(bad) ?? ""
        #expect(error.contains("authentication"), "\(error)")
        #expect(!error.contains("not-the-password"))
    }

    @Test("TLS to a port that does not speak it, or never answers, fails within the deadline")
    func bounded() throws {
        guard let plain = TestEnvironment.redisURL else { return }
        let e = try RedisEndpoint.parse(plain)
        guard case .tcp(let host, let port) = e.address else { return }
        let toPlain = try Self.collector("rediss://\(host):\(port)", TLSOptions(insecureSkipVerify: true))
        let start = ContinuousClock.now
        let error = Self.failure(toPlain, 3)
        #expect(error != nil)
        #expect(ContinuousClock.now - start < .seconds(4), "\(error ?? "")")

        let listener = try SilentListener()
        defer { listener.close() }
        let silent = try Self.collector("rediss://127.0.0.1:\(listener.port)", nil, connectTimeout: 0.5)
        let s2 = ContinuousClock.now
        let silentError = Self.failure(silent, 3) ?? ""
        #expect(ContinuousClock.now - s2 < .milliseconds(1500), "connect_timeout bounds the handshake")
        #expect(silentError.contains("timed out"), "\(silentError)")
    }
}
