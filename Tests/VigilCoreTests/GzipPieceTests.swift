import Foundation
import Testing
@testable import VigilCore

@Suite("Gzip pieces")
struct GzipPieceTests {
    static func bytes(_ n: Int, seed: Int) -> [UInt8] {
        (0..<n).map { i in UInt8(truncatingIfNeeded: "metric_\(seed)_\(i % 97) \(i * seed)\n".utf8.count &* i &+ seed) }
    }

    @Test("pieces compressed on their own join into one gzip member that decodes to their concatenation")
    func joined() throws {
        let parts: [[UInt8]] = [Array("# HELP a A.\n".utf8), [], Self.bytes(70_000, seed: 3), Array(repeating: 65, count: 200_000), Self.bytes(5, seed: 9)]
        let pieces = try parts.map { try #require(Gzip.piece($0)) }
        let member = Gzip.member(pieces)
        #expect(try #require(Gzip.decompress(member)) == parts.flatMap { $0 })
        // CRC-32 and length are checked, and nothing trails the member.
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-gzip-piece-\(getpid()).gz").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(member).write(to: URL(fileURLWithPath: path))
        #expect(Gzip.verify(path: path, maxCompressedBytes: 1 << 24, deadline: .now + .seconds(10))
                == .valid(compressedBytes: member.count, uncompressedBytes: parts.reduce(0) { $0 + $1.count }))
    }

    @Test("a piece compressed after its predecessor's bytes (preset dictionary) decodes in place, and is smaller")
    func dictionary() throws {
        let line = Array(#"http_requests_total{instance="app",path="/api/v3/item/45",code="203"} 12345\n"#.utf8)
        let first = Array((0..<400).map { _ in line }.joined())
        let second = Array((0..<400).map { _ in line }.joined())
        let alone = try #require(Gzip.piece(second))
        let after = try #require(Gzip.piece(second, preceding: first))
        #expect(after.deflated.count < alone.deflated.count)
        let member = Gzip.member([try #require(Gzip.piece(first)), after, try #require(Gzip.piece(Array("# EOF\n".utf8), preceding: second))])
        #expect(try #require(Gzip.decompress(member)) == first + second + Array("# EOF\n".utf8))
    }

    @Test("no pieces, or only empty ones, make a valid empty member")
    func empty() throws {
        #expect(try #require(Gzip.decompress(Gzip.member([]))) == [])
        let none = try #require(Gzip.piece([]))
        #expect(try #require(Gzip.decompress(Gzip.member([.empty, none]))) == [])
    }
}
