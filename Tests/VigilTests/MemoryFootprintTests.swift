import Foundation
import Testing
@testable import Vigil

@Suite("MemoryFootprint")
struct MemoryFootprintTests {
    @Test("smaps headers: read-only file mappings are candidates; writable, anonymous and special ones are not")
    func headers() throws {
        let text = "55d83762a000-55d838e84000 r-xp 00000000 fe:00 5431930                    /usr/local/bin/vigil"
        let range = try #require(MemoryFootprint.mappingHeader(Substring(text)))
        #expect(range.lo == 0x55d8_3762_a000 && range.hi == 0x55d8_38e8_4000)
        #expect(MemoryFootprint.mappingHeader("7f00-7f10 r--p 00001000 fe:00 12 /usr/lib/libc.so.6") != nil)
        #expect(MemoryFootprint.mappingHeader("7f00-7f10 rw-p 00001000 fe:00 12 /usr/lib/libc.so.6") == nil)
        #expect(MemoryFootprint.mappingHeader("7f00-7f10 rw-p 00000000 00:00 0 ") == nil)
        #expect(MemoryFootprint.mappingHeader("7f00-7f10 r--p 00000000 00:00 0                  [vvar]") == nil)
        #expect(MemoryFootprint.mappingHeader("7f00-7f10 ---p 00000000 00:00 0") == nil)
        #expect(MemoryFootprint.mappingHeader("Anonymous:             0 kB") == nil)
    }

    @Test("a /proc file is read to its end")
    func procFile() throws {
        let smaps = try #require(MemoryFootprint.readProcFile("/proc/self/smaps"))
        // Far past any single buffer: every mapping, the stack's among the last ones.
        #expect(smaps.utf8.count > 64 << 10)
        #expect(smaps.contains("[stack]"))
    }

    @Test("releasing start-up pages keeps the process working and its private pages intact")
    func release() {
        // A private copy of data that must survive: the call never advises writable mappings.
        let data = (0..<100_000).map { $0 &* 7 }
        let advised = MemoryFootprint.releaseStartupPages()
        #expect(advised > 0)
        #expect(data.enumerated().allSatisfy { $0.element == $0.offset &* 7 })
        // Code is mapped again on use: formatting and parsing still work.
        #expect(Int("12345") == 12345 && "\(3.5)" == "3.5")
    }
}
