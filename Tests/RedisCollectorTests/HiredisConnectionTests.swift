import Foundation
import Glibc
import Testing
@testable import RedisCollector
import VigilTestSupport

@Suite("hiredis connection against a real Redis", .serialized)
struct HiredisConnectionTests {
    static func setup(_ url: String, password: String? = nil, timeout: Double = 2) throws -> HiredisConnection.Setup {
        let e = try RedisEndpoint.parse(url)
        return .init(endpoint: e, password: password ?? e.password, connectTimeout: timeout, commandTimeout: timeout, clientName: "vigil")
    }

    @Test("PING, binary-safe strings, integers, arrays, nil and errors convert to Swift values")
    func replies() throws {
        guard let url = TestEnvironment.redisURL else { return }
        let c = try HiredisConnection(Self.setup(url), deadline: .now + .seconds(5))
        #expect(try c.command(["PING"]) == .status("PONG"))
        let key: [UInt8] = Array("vigil:test:bin".utf8)
        let value: [UInt8] = [0, 1, 2, 255, 0, 13, 10]
        #expect(try c.command(bytes: [Array("SET".utf8), key, value]) == .status("OK"))
        #expect(try c.command(bytes: [Array("GET".utf8), key]) == .string(value))
        #expect(try c.command(bytes: [Array("STRLEN".utf8), key]) == .integer(7))
        #expect(try c.command(["GET", "vigil:test:absent"]) == .null)
        #expect(try c.command(["DEL", "vigil:test:list"]).integer != nil)
        _ = try c.command(["RPUSH", "vigil:test:list", "a", "b"])
        #expect(try c.command(["LRANGE", "vigil:test:list", "0", "-1"]) == .array([.string(Array("a".utf8)), .string(Array("b".utf8))]))
        let err = try c.command(["NOSUCHCOMMAND"])
        #expect(err.errorMessage?.hasPrefix("ERR") == true)
        #expect(try c.command(["CLIENT", "GETNAME"]).text == "vigil")
        _ = try c.command(["DEL", "vigil:test:list", "vigil:test:bin"])
    }

    @Test("a pipeline returns every reply in order")
    func pipeline() throws {
        guard let url = TestEnvironment.redisURL else { return }
        let c = try HiredisConnection(Self.setup(url), deadline: .now + .seconds(5))
        let replies = try c.pipeline([["PING"], ["ECHO", "x"], ["BOGUS"], ["INCRBY", "vigil:test:n", "0"]])
        #expect(replies.count == 4)
        #expect(replies[0] == .status("PONG"))
        #expect(replies[1] == .string(Array("x".utf8)))
        #expect(replies[2].errorMessage != nil)
        #expect(replies[3].integer != nil)
    }

    @Test("SELECT from the URL and ACL user + password AUTH work; a wrong password fails without echoing it")
    func authAndSelect() throws {
        guard let url = TestEnvironment.redisURL else { return }
        let admin = try HiredisConnection(Self.setup(url), deadline: .now + .seconds(5))
        let user = "vigil-test-\(getpid())"
        _ = try admin.command(["ACL", "SETUSER", user, "on", ">s3cret-pw", "~*", "+@all"])
        defer { _ = try? admin.command(["ACL", "DELUSER", user]) }

        let base = try RedisEndpoint.parse(url)
        var e = base
        e.username = user
        e.database = 3
        let ok = try HiredisConnection(.init(endpoint: e, password: "s3cret-pw", connectTimeout: 2, commandTimeout: 2, clientName: "vigil"),
                                       deadline: .now + .seconds(5))
        #expect(try ok.command(["ACL", "WHOAMI"]).text == user)
        #expect(ok.selectedDatabase == 3)
        #expect(try ok.command(["CLIENT", "INFO"]).text?.contains("db=3") == true)

        #expect {
            _ = try HiredisConnection(.init(endpoint: e, password: "wrong-pw-xyz", connectTimeout: 2, commandTimeout: 2, clientName: nil),
                                      deadline: .now + .seconds(5))
        } throws: { error in
            let text = "\(error)"
            return text.contains("authentication") && !text.contains("wrong-pw-xyz")
        }
    }

    @Test("a refused port fails fast with a connect error")
    func refused() throws {
        let port = try SilentListener.freePort()
        #expect {
            _ = try HiredisConnection(Self.setup("redis://127.0.0.1:\(port)"), deadline: .now + .seconds(2))
        } throws: { error in
            (error as? RedisConnectionError)?.kind == .connect
        }
    }

    @Test("a listener that accepts and never answers makes PING fail within the deadline")
    func silentListener() throws {
        let listener = try SilentListener()
        defer { listener.close() }
        let start = ContinuousClock.now
        #expect {
            let c = try HiredisConnection(Self.setup("redis://127.0.0.1:\(listener.port)", timeout: 10), deadline: .now + .milliseconds(700))
            _ = try c.command(["PING"])
        } throws: { error in
            (error as? RedisConnectionError)?.kind == .timeout
        }
        let elapsed = ContinuousClock.now - start
        #expect(elapsed < .milliseconds(1500))
    }
}
