import Testing
@testable import RedisCollector

@Suite("Redis URL parsing")
struct RedisEndpointTests {
    @Test("host, port and database come from redis://host:port/db")
    func hostPortDB() throws {
        let e = try RedisEndpoint.parse("redis://cache.internal:6380/2")
        #expect(e == RedisEndpoint(address: .tcp(host: "cache.internal", port: 6380), database: 2))
    }

    @Test("defaults are localhost, 6379 and database 0")
    func defaults() throws {
        #expect(try RedisEndpoint.parse("redis://") == RedisEndpoint(address: .tcp(host: "localhost", port: 6379)))
        #expect(try RedisEndpoint.parse("redis://10.0.0.5") == RedisEndpoint(address: .tcp(host: "10.0.0.5", port: 6379)))
    }

    @Test("user and password are percent-decoded ACL credentials")
    func credentials() throws {
        let e = try RedisEndpoint.parse("redis://vigil:p%40ss%3Aword@127.0.0.1:7000/1")
        #expect(e.username == "vigil")
        #expect(e.password == "p@ss:word")
        #expect(e.address == .tcp(host: "127.0.0.1", port: 7000))
        #expect(e.database == 1)
    }

    @Test("a password without a user name means the default user")
    func passwordOnly() throws {
        let e = try RedisEndpoint.parse("redis://:secret@localhost")
        #expect(e.username == nil)
        #expect(e.password == "secret")
    }

    @Test("bracketed IPv6 literals keep their colons")
    func ipv6() throws {
        let e = try RedisEndpoint.parse("redis://[::1]:6390/3")
        #expect(e.address == .tcp(host: "::1", port: 6390))
        #expect(e.database == 3)
    }

    @Test("unix sockets take an absolute path and ?db=N")
    func unixSocket() throws {
        let e = try RedisEndpoint.parse("unix:///run/redis/redis.sock?db=4")
        #expect(e == RedisEndpoint(address: .unix(path: "/run/redis/redis.sock"), database: 4))
        let withAuth = try RedisEndpoint.parse("unix://app:pw@/tmp/r.sock")
        #expect(withAuth.address == .unix(path: "/tmp/r.sock"))
        #expect(withAuth.username == "app")
        #expect(withAuth.password == "pw")
    }

    @Test("rediss:// and valkeys:// are TLS endpoints; the redacted description keeps the scheme and hides the password")
    func tls() throws {
        let e = try RedisEndpoint.parse("rediss://user:hunter2@redis.example.com:6380/2")
        #expect(e.tls)
        #expect(e.address == .tcp(host: "redis.example.com", port: 6380))
        #expect(e.database == 2)
        #expect(e.redactedDescription == "rediss://user@redis.example.com:6380/2")
        #expect(try RedisEndpoint.parse("valkeys://cache").tls)
        #expect(try RedisEndpoint.parse("valkeys://cache").address == .tcp(host: "cache", port: 6379))
        #expect(try !RedisEndpoint.parse("redis://cache").tls)
    }

    @Test("errors name the URL without its password", arguments: [
        "redis://u:hunter2@host:notaport",
        "redis://u:hunter2@host:6379/minus",
        "redis://u:hunter2@host:99999",
        "redis://u:hunter2@host:6379?color=blue",
        "redis://u:hunter2%zz@host",
        "ftp://u:hunter2@host",
        "u:hunter2@host:6379",
        "unix://u:hunter2@relative.sock",
    ])
    func errorsAreRedacted(url: String) {
        #expect {
            try RedisEndpoint.parse(url)
        } throws: { error in
            !"\(error)".contains("hunter2")
        }
    }

    @Test("the redacted description never shows the password")
    func redacted() throws {
        let e = try RedisEndpoint.parse("redis://vigil:hunter2@127.0.0.1:6379/2")
        #expect(e.redactedDescription == "redis://vigil@127.0.0.1:6379/2")
        #expect(!(try RedisEndpoint.parse("redis://:hunter2@h")).redactedDescription.contains("hunter2"))
    }
}
