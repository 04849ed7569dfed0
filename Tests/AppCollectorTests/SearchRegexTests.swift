import Testing
@testable import Rules

@Suite("Unanchored RE2 search (blackbox's regexp.Match)")
struct SearchRegexTests {
    @Test("a pattern matches anywhere in the text, without implicit anchors or (?s)")
    func unanchored() throws {
        let re = try SearchRegex("status: (ok|degraded)")
        #expect(re.matches("{\"status: ok\"}"))
        #expect(!re.matches("status: down"))
        #expect(try SearchRegex("^b").matches("a\nb") == false)
        #expect(try SearchRegex("(?m)^b").matches("a\nb"))
        #expect(try SearchRegex("a.b").matches("a\nb") == false)
    }

    @Test("the first match's groups expand $1 and ${1} in a send template")
    func expand() throws {
        let re = try SearchRegex("^SSH-([0-9.]+)-(\\S+)")
        let m = try #require(re.firstMatch(Array("SSH-2.0-OpenSSH_9.2".utf8)))
        #expect(String(decoding: SearchRegex.expand("v=$1 ${2}x $$ $9", m), as: UTF8.self) == "v=2.0 OpenSSH_9.2x $ ")
    }

    @Test("an invalid pattern is an error naming RE2's reason")
    func invalid() {
        #expect(throws: RegexError.self) { try SearchRegex("a(") }
        #expect(throws: RegexError.self) { try SearchRegex("(?<!x)y") }
    }
}
