import Testing
@testable import HTTPServer

@Suite("ListenAddress parsing")
struct ListenAddressTests {
    @Test("a bare :port means every interface")
    func anyHost() throws {
        #expect(try ListenAddress.parse(":9633") == ListenAddress(host: .any, port: 9633))
        #expect(try ListenAddress.parse(":0") == ListenAddress(host: .any, port: 0))
    }

    @Test("IPv4 literals, including 0.0.0.0")
    func ipv4() throws {
        #expect(try ListenAddress.parse("127.0.0.1:9633") == ListenAddress(host: .ipv4("127.0.0.1"), port: 9633))
        #expect(try ListenAddress.parse("0.0.0.0:65535") == ListenAddress(host: .ipv4("0.0.0.0"), port: 65535))
    }

    @Test("IPv6 literals in brackets")
    func ipv6() throws {
        #expect(try ListenAddress.parse("[::1]:9633") == ListenAddress(host: .ipv6("::1"), port: 9633))
        #expect(try ListenAddress.parse("[::]:80") == ListenAddress(host: .ipv6("::"), port: 80))
        #expect(try ListenAddress.parse("[fe80::1:2]:1") == ListenAddress(host: .ipv6("fe80::1:2"), port: 1))
    }

    @Test("host names are kept for resolution at bind time")
    func names() throws {
        #expect(try ListenAddress.parse("localhost:9633") == ListenAddress(host: .name("localhost"), port: 9633))
        #expect(try ListenAddress.parse("metrics-1.example.org:9") == ListenAddress(host: .name("metrics-1.example.org"), port: 9))
    }

    @Test("description writes the address back as a user would")
    func description() throws {
        for text in [":9633", "127.0.0.1:1", "[::1]:9633", "localhost:0"] {
            #expect(try ListenAddress.parse(text).description == text)
        }
    }

    @Test(
        "malformed addresses are errors that name the input",
        arguments: [
            "", "9633", "localhost", ":", "127.0.0.1:", ":65536", ":-1", ":96a3", ":+80", ": 80",
            "::1:9633", "[::1]", "[::1]9633", "[::1:9633", "[]:80", "[127.0.0.1]:80", "[zz::1]:80",
            "256.0.0.1:80", "1.2.3:80", "bad_host:80", "-lead.example:80", "a..b:80", "127.0.0.1:123456",
        ]
    )
    func malformed(_ text: String) {
        #expect {
            try ListenAddress.parse(text)
        } throws: { error in
            guard let error = error as? HTTPServerError, case .invalidListenAddress(let address, let reason) = error else {
                return false
            }
            return address == text && !reason.isEmpty && error.description.contains("\"\(text)\"")
        }
    }
}
