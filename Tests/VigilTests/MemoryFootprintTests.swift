import Foundation
import Testing
@testable import Vigil

@Suite("MemoryFootprint")
struct MemoryFootprintTests {
    @Test("smaps headers: readable file mappings are parsed with their offset, path and writability; anonymous, special and guard ones are not")
    func headers() throws {
        let text = "55d83762a000-55d838e84000 r-xp 00001000 fe:00 5431930                    /usr/local/bin/vigil"
        let m = try #require(MemoryFootprint.mapping(Substring(text)))
        #expect(m.lo == 0x55d8_3762_a000 && m.hi == 0x55d8_38e8_4000)
        #expect(m.offset == 0x1000 && m.path == "/usr/local/bin/vigil" && !m.writable && m.executable)
        #expect(MemoryFootprint.mapping("7f00-7f10 r--p 00001000 fe:00 12 /usr/lib/libc.so.6")?.writable == false)
        #expect(MemoryFootprint.mapping("7f00-7f10 rw-p 00001000 fe:00 12 /usr/lib/libc.so.6")?.writable == true)
        #expect(MemoryFootprint.mapping("7f00-7f10 rw-p 00000000 00:00 0 ") == nil)
        #expect(MemoryFootprint.mapping("7f00-7f10 r--p 00000000 00:00 0                  [vvar]") == nil)
        #expect(MemoryFootprint.mapping("7f00-7f10 ---p 00000000 fe:00 12 /usr/lib/libc.so.6") == nil)
        #expect(MemoryFootprint.mapping("7f10-7f00 r--p 00000000 fe:00 12 /usr/lib/libc.so.6") == nil)
        #expect(MemoryFootprint.mapping("7f00-7f10 r--p zz fe:00 12 /usr/lib/libc.so.6") == nil)
        #expect(MemoryFootprint.mapping("Anonymous:             0 kB") == nil)
        #expect(MemoryFootprint.mapping("7f00-7f10 r--p 00001000 fe:00 12 /usr/lib/libc.so.6")?.executable == false)
    }

    @Test("a mapping's first smaps line counts as a mapping of any kind; its field lines, hexadecimal-looking or not, do not")
    func mappingHeaders() {
        #expect(MemoryFootprint.isMappingHeader("7f00-7f10 rw-p 00000000 00:00 0 "))
        #expect(MemoryFootprint.isMappingHeader("ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0  [vsyscall]"))
        #expect(!MemoryFootprint.isMappingHeader("Anonymous:             0 kB"))
        #expect(!MemoryFootprint.isMappingHeader("AnonHugePages:         0 kB"))
        #expect(!MemoryFootprint.isMappingHeader("VmFlags: rd ex mr mw me dw sd"))
        #expect(!MemoryFootprint.isMappingHeader(""))
    }

    @Test("code is cut in single pages for the executable and 4-page pieces for libraries, doubled together to fit half the map-count headroom")
    func pieceSizes() throws {
        let fits = try #require(MemoryFootprint.piecePages(ownPages: 6_000, libraryPages: 4_000, existing: 300, mapCountLimit: 65_530))
        #expect(fits == (1, 4))
        // (65,530 - 300) / 2 = 32,615 pieces: 60,000 single pages do not fit, 30,000 + 1,000 pieces do.
        let doubled = try #require(MemoryFootprint.piecePages(ownPages: 60_000, libraryPages: 8_000, existing: 300, mapCountLimit: 65_530))
        #expect(doubled == (2, 8))
        // A small limit: cutting would crowd out the process' own mappings, so it is not done.
        #expect(MemoryFootprint.piecePages(ownPages: 6_000, libraryPages: 0, existing: 300, mapCountLimit: 400) == nil)
        #expect(MemoryFootprint.piecePages(ownPages: 0, libraryPages: 0, existing: 10, mapCountLimit: 65_530) == nil)
        #expect(MemoryFootprint.piecePages(ownPages: 10, libraryPages: 0, existing: 70_000, mapCountLimit: 65_530) == nil)
    }

    @Test("pieces cover the mapping exactly, the last one shorter")
    func piecesCover() {
        let p = MemoryFootprint.pieces(lo: 0x10000, hi: 0x10000 + 5 * 4096, pages: 2, pageSize: 4096)
        #expect(p.map(\.at) == [0x10000, 0x12000, 0x14000])
        #expect(p.map(\.length) == [8192, 8192, 4096])
        #expect(MemoryFootprint.pieces(lo: 0x2000, hi: 0x1000, pages: 1, pageSize: 4096).isEmpty)
        #expect(MemoryFootprint.pieces(lo: 0x1000, hi: 0x2000, pages: 0, pageSize: 4096).isEmpty)
    }

    @Test("VIGIL_RELEASE_STARTUP_PAGES: 0 keeps, unmap only unmaps, uncut leaves code mappings whole, anything else releases in full")
    func releaseModes() {
        #expect(MemoryFootprint.StartupRelease(environment: "0") == .keep)
        #expect(MemoryFootprint.StartupRelease(environment: "unmap") == .unmap)
        #expect(MemoryFootprint.StartupRelease(environment: "uncut") == .uncut)
        #expect(MemoryFootprint.StartupRelease(environment: nil) == .full)
        #expect(MemoryFootprint.StartupRelease(environment: "1") == .full)
    }

    @Test("pagemap runs: present and file-backed entries, as index ranges; absent or anonymous pages cut them")
    func cleanRuns() {
        let present: UInt64 = 1 << 63, file: UInt64 = 1 << 61
        let entries: [UInt64] = [present | file, present | file | 42, 0, present, present | file, file, present | file]
        #expect(MemoryFootprint.cleanRuns(entries) == [0..<2, 4..<5, 6..<7])
        #expect(MemoryFootprint.cleanRuns([]) == [])
        #expect(MemoryFootprint.cleanRuns([present, 0]) == [])
    }

    @Test("ELF sections: the running binary's .rodata is found; other files, truncated or hostile headers give nil")
    func elfSections() throws {
        let rodata = try #require(MemoryFootprint.sectionRange(named: ".rodata", inELFAt: "/proc/self/exe"))
        #expect(rodata.hi > rodata.lo)
        #expect(MemoryFootprint.sectionRange(named: ".no-such-section", inELFAt: "/proc/self/exe") == nil)
        #expect(MemoryFootprint.sectionRange(named: ".rodata", inELFAt: "/proc/self/status") == nil)
        #expect(MemoryFootprint.sectionRange(named: ".rodata", inELFAt: "/no/such/file") == nil)

        var header = [UInt8](repeating: 0, count: 64)
        header[0...5] = [0x7F, 0x45, 0x4C, 0x46, 2, 1]
        header[0x28] = 0x40 // section headers at 64
        header[0x3A] = 64 // 64-byte entries
        header[0x3C] = 2 // two of them
        header[0x3E] = 1 // names in the second
        let table = try #require(ELFSections(header: header))
        #expect(table == ELFSections(header: header) && table.offset == 64 && table.count == 2 && table.namesIndex == 1)
        #expect(ELFSections(header: Array(header.prefix(63))) == nil)
        var bigEndian = header
        bigEndian[5] = 2
        #expect(ELFSections(header: bigEndian) == nil)
        var namesOutside = header
        namesOutside[0x3E] = 2
        #expect(ELFSections(header: namesOutside) == nil)

        // Section 0 named ".rodata" (name offset 1) at 0x1000, 0x20 bytes; strings "\0.rodata\0".
        var headers = [UInt8](repeating: 0, count: 128)
        headers[0] = 1
        headers[0x11] = 0x10
        headers[0x20] = 0x20
        let strings = [UInt8(0)] + Array(".rodata".utf8) + [0]
        let found = try #require(ELFSections.find(".rodata", headers: headers, count: 2, strings: strings))
        #expect(found.lo == 0x1000 && found.hi == 0x1020)
        #expect(ELFSections.find(".rodat", headers: headers, count: 2, strings: strings) == nil)
        // A name offset past the strings, or a count past the headers' bytes, is no match and no crash.
        var farName = headers
        farName[0] = 200
        #expect(ELFSections.find(".rodata", headers: farName, count: 2, strings: strings) == nil)
        #expect(ELFSections.find(".rodata", headers: farName, count: 9, strings: strings) == nil)
        #expect(ELFSections.section(headers, 2) == nil && ELFSections.section(headers, -1) == nil)
    }

    @Test("a /proc file is read to its end")
    func procFile() throws {
        let smaps = try #require(MemoryFootprint.readProcFile("/proc/self/smaps"))
        // Far past any single buffer: every mapping, the stack's among the last ones.
        #expect(smaps.utf8.count > 64 << 10)
        #expect(smaps.contains("[stack]"))
    }

    @Test("releasing start-up pages keeps the process working and its private pages intact")
    func release() throws {
        // A private copy of data that must survive: the call never advises writable mappings.
        let data = (0..<100_000).map { $0 &* 7 }
        let advised = MemoryFootprint.releaseStartupPages()
        #expect(advised > 0)
        // The executable's code is cut into pieces: far more than its one or two code mappings.
        let exe = try #require(try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        let maps = try #require(MemoryFootprint.readProcFile("/proc/self/maps"))
        let ownCode = maps.split(separator: "\n").filter { $0.hasSuffix(" " + exe) && $0.contains(" r-xp ") }
        #expect(ownCode.count > 100, "\(ownCode.count) code mappings of \(exe)")
        #expect(data.enumerated().allSatisfy { $0.element == $0.offset &* 7 })
        // Code is mapped again on use: formatting and parsing still work.
        #expect(Int("12345") == 12345 && "\(3.5)" == "3.5")
        // Read-only data is read again from the file: a string literal and a table still hold.
        #expect("a literal kept in the binary's read-only data".utf8.count == 45)
        #expect(UInt8(ascii: "z") &- UInt8(ascii: "a") == 25)
    }
}
