import Foundation
import Testing
@testable import VigilCore

@Suite("Streaming gzip verification (gunzip -t)")
struct GzipVerifyTests {
    static func file(_ bytes: [UInt8]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-gz-\(UUID().uuidString).gz").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    static let far = ContinuousClock.now + .seconds(60)

    @Test("a whole gzip file, also several members back to back, reads as valid with its sizes")
    func valid() throws {
        let text = Array(String(repeating: "COPY public.t (a) FROM stdin;\n", count: 20_000).utf8)
        let one = try #require(Gzip.compress(text))
        let path = try Self.file(one + one)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(Gzip.verify(path: path, maxCompressedBytes: 1 << 30, deadline: Self.far)
            == .valid(compressedBytes: 2 * one.count, uncompressedBytes: 2 * text.count))
    }

    @Test("a truncated, bit-flipped, empty, non-gzip or trailing-garbage file is corrupt, never valid")
    func corrupt() throws {
        let good = try #require(Gzip.compress(Array(String(repeating: "row\n", count: 50_000).utf8)))
        var flipped = good
        flipped[flipped.count / 2] ^= 0x40
        let cases: [[UInt8]] = [Array(good.prefix(good.count - 9)), flipped, [], Array("plain text, no gzip".utf8), good + Array("junk".utf8)]
        for bytes in cases {
            let path = try Self.file(bytes)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let result = Gzip.verify(path: path, maxCompressedBytes: 1 << 30, deadline: Self.far)
            guard case .corrupt = result else {
                Issue.record("\(bytes.count) bytes read as \(result)")
                continue
            }
        }
    }

    @Test("the byte budget and the deadline stop the read; a missing file is unreadable")
    func budgets() throws {
        var random = SystemRandomNumberGenerator()
        let noise = (0..<400_000).map { _ in UInt8.random(in: 0...255, using: &random) }
        let gz = try #require(Gzip.compress(noise))
        let path = try Self.file(gz)
        defer { try? FileManager.default.removeItem(atPath: path) }
        guard case .budgetExceeded = Gzip.verify(path: path, maxCompressedBytes: 100_000, deadline: Self.far) else {
            Issue.record("byte budget not enforced")
            return
        }
        guard case .budgetExceeded = Gzip.verify(path: path, maxCompressedBytes: 1 << 30, deadline: .now - .seconds(1)) else {
            Issue.record("deadline not enforced")
            return
        }
        guard case .unreadable = Gzip.verify(path: path + ".missing", maxCompressedBytes: 1 << 30, deadline: Self.far) else {
            Issue.record("a missing file is not unreadable")
            return
        }
    }
}
