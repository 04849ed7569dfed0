#if canImport(Glibc)
import CMalloc
import Glibc
#endif
import Foundation

/// What Vigil does about its own resident memory (Linux, glibc). Measured in BENCHMARKS.md
/// ("Resident memory beside the exporters", `scripts/bench-footprint`).
enum MemoryFootprint {
    /// Malloc arenas Vigil allows itself unless `MALLOC_ARENA_MAX` says otherwise. glibc gives
    /// every thread that allocates an arena of its own, up to 8 per core; each keeps its freed
    /// memory. Two keep the HTTP threads' body copies from contending on one lock.
    static let arenaMax: Int32 = 2

    /// Caps glibc's malloc arenas; call first thing in `main`, before other threads exist.
    ///
    /// glibc's mmap threshold is left dynamic on purpose: fixed at 64 KiB it kept the ~200 KB
    /// text bodies out of the arenas (heap + arenas about 1 MiB smaller), but every plain-text
    /// `/metrics` then paid an mmap, ~50 zeroed page faults and an munmap for its copy, and a
    /// side-by-side check served plain-text scrapes markedly slower (BENCHMARKS.md).
    static func configureAllocator() {
        #if canImport(Glibc)
        if getenv("MALLOC_ARENA_MAX") == nil {
            _ = mallopt(M_ARENA_MAX, arenaMax)
        }
        #endif
    }

    /// Hands the allocator's free pages back to the kernel (`malloc_trim`): the bodies rendered
    /// for every landing and the HTTP threads' copies of them are freed in the middle of the
    /// arenas, where `free` alone keeps them resident. Called after each landing; a walk over
    /// the free lists, well under a millisecond at Vigil's sizes.
    static func trimAllocator() {
        #if canImport(Glibc)
        _ = malloc_trim(0)
        #endif
    }

    /// How `releaseStartupPages` runs, from `VIGIL_RELEASE_STARTUP_PAGES`: `0` keeps every page
    /// mapped, `unmap` only unmaps (the page cache keeps the binary's large folios, which come
    /// back whole on the next touch), `uncut` does everything but cutting the code mappings into
    /// pieces; anything else, or unset, releases in full. The other values are for measuring
    /// what each step saves (`scripts/bench-footprint`), or should one ever get in the way.
    enum StartupRelease: Equatable {
        case keep, unmap, uncut, full

        init(environment value: String?) {
            switch value {
            case "0": self = .keep
            case "unmap": self = .unmap
            case "uncut": self = .uncut
            default: self = .full
            }
        }
    }

    static let startupRelease = StartupRelease(environment: ProcessInfo.processInfo.environment["VIGIL_RELEASE_STARTUP_PAGES"])

    /// Whether `releaseStartupPages` runs at all.
    static var releasesStartupPages: Bool { startupRelease != .keep }

    /// Drops this process' page-table entries for file-backed pages that hold exactly the file's
    /// bytes (read-only mappings with no private copy: code, read-only data, symbol and
    /// relocation tables). Called once, after the first collection round: what start-up alone
    /// touched (the dynamic linker's relocation and symbol lookups, option and YAML parsing,
    /// rule-file parsing, one-time library initialisation) stops counting as resident; what
    /// the running process uses is mapped again from the page cache on its next touch. Mappings
    /// with anonymous (copied-on-write) pages, such as relocated read-only data, are never
    /// touched.
    ///
    /// The executable's own pages get more: the kernel may cache a file in large folios (ext4
    /// has them since kernel 6.16; a freshly written or installed binary is cached so) and maps a
    /// whole folio around each fault, so scattered hot code would keep most of the binary's
    /// start-up footprint. Its clean pages of `.rodata` (which gold puts in the writable segment,
    /// out of the loop above) are unmapped page by page (`/proc/self/pagemap` says which are
    /// still the file's), its mappings are advised `MADV_RANDOM` (a fault in its read-only data
    /// then reads one page, not a read-ahead window), and the file's cached pages that nothing
    /// maps any more are dropped (`POSIX_FADV_DONTNEED`).
    ///
    /// Then (`.full`) every code mapping — the executable's and the shared libraries' — is cut
    /// into small mappings (`cutCodeMappings`): the kernel's fault-around (up to 64 KiB of
    /// cached neighbours mapped with each fault) and, since 6.16, its read-ahead of executable
    /// mappings (up to the device's read-ahead size, which `MADV_RANDOM` does not stop for
    /// code) both stop at a mapping's edge, so a code page is resident only when the process
    /// runs it. Returns the bytes of the mappings advised.
    @discardableResult
    static func releaseStartupPages(_ mode: StartupRelease = startupRelease) -> Int {
        #if canImport(Glibc)
        guard mode != .keep, let text = readProcFile("/proc/self/smaps") else { return 0 }
        let exe = mode == .unmap ? nil : executablePath()
        var advised = 0
        var ownWritable: [(lo: UInt, hi: UInt)] = []
        var ownBase: UInt?
        var code: [CodeMapping] = []
        var mappings = 0
        var current: Mapping?
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if isMappingHeader(line) { mappings += 1 }
            if let m = mapping(line) {
                current = m
                if let exe, m.path == exe, m.offset == 0, ownBase == nil { ownBase = m.lo }
                if let exe, m.path == exe, m.writable { ownWritable.append((m.lo, m.hi)) }
                continue
            }
            guard let m = current, !m.writable, line.hasPrefix("Anonymous:") else { continue }
            current = nil
            let kib = line.dropFirst("Anonymous:".count).split(separator: " ").first.flatMap { Int($0) }
            guard kib == 0, let base = UnsafeMutableRawPointer(bitPattern: m.lo) else { continue }
            let length = Int(m.hi - m.lo)
            if let exe, m.path == exe { _ = madvise(base, length, MADV_RANDOM) }
            if mode == .full, m.executable { code.append(CodeMapping(lo: m.lo, hi: m.hi, own: m.path == exe)) }
            if madvise(base, length, MADV_DONTNEED) == 0 { advised += length }
        }
        if !code.isEmpty { cutCodeMappings(code, existing: mappings) }
        if let exe, let ownBase {
            if let rodata = sectionRange(named: ".rodata", inELFAt: exe) {
                let lo = ownBase + rodata.lo, hi = ownBase + rodata.hi
                for w in ownWritable where w.lo < hi && lo < w.hi {
                    advised += releaseCleanPages(lo: max(lo, w.lo), hi: min(hi, w.hi))
                }
            }
            let fd = open(exe, O_RDONLY | O_CLOEXEC)
            if fd >= 0 {
                _ = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED)
                close(fd)
            }
        }
        return advised
        #else
        return 0
        #endif
    }

    /// A code mapping (`r-x`, file-backed) to cut; `own` when it is the executable's.
    struct CodeMapping: Equatable {
        var lo: UInt
        var hi: UInt
        var own: Bool
    }

    /// Pages per piece when code mappings are cut: the executable's code in single pages (that
    /// is where Vigil's scattered hot code is), the shared libraries' in 4-page pieces (measured
    /// in BENCHMARKS.md: single pages there saved another 0.5 MiB resident for 2,300 more
    /// mappings, each a ~200-byte kernel object).
    static let ownPiecePages = 1, libraryPiecePages = 4

    /// Beyond this many pages per piece, cutting stops paying for its kernel bookkeeping.
    static let maxPiecePages = 64

    /// How many pages each piece gets for the executable's and the libraries' code: the
    /// preferred sizes, doubled together until the pieces fit in half of what `vm.max_map_count`
    /// leaves (`existing` mappings already count); nil (no cut) when they never fit, or when
    /// there is no code to cut.
    static func piecePages(ownPages: Int, libraryPages: Int, existing: Int, mapCountLimit: Int) -> (own: Int, libraries: Int)? {
        guard ownPages >= 0, libraryPages >= 0, ownPages + libraryPages > 0 else { return nil }
        let budget = (mapCountLimit - existing) / 2
        var own = ownPiecePages, libraries = libraryPiecePages
        while own <= maxPiecePages {
            let pieces = (ownPages + own - 1) / own + (libraryPages + libraries - 1) / libraries
            if pieces <= budget { return (own, libraries) }
            own *= 2
            libraries *= 2
        }
        return nil
    }

    /// The start addresses and lengths of the pieces [lo, hi) is cut into, `pages` pages each
    /// (the last one shorter when the length is not a multiple).
    static func pieces(lo: UInt, hi: UInt, pages: Int, pageSize: UInt) -> [(at: UInt, length: UInt)] {
        guard hi > lo, pages > 0, pageSize > 0 else { return [] }
        let step = UInt(pages) * pageSize
        return stride(from: lo, to: hi, by: Int(step)).map { ($0, min(step, hi - $0)) }
    }

    #if canImport(Glibc)
    /// Cuts each code mapping into pieces (`piecePages`), advising them `MADV_RANDOM` and
    /// `MADV_NORMAL` in turn (neighbours that differ in a flag cannot merge back; neither flag
    /// changes how code is read), then unmaps them, so what comes back is what runs. Code pages
    /// stay clean file pages: dropping them loses nothing, and the kernel may still reclaim them.
    private static func cutCodeMappings(_ code: [CodeMapping], existing: Int) {
        let page = UInt(sysconf(Int32(_SC_PAGESIZE)))
        let own = code.filter(\.own).reduce(0) { $0 + Int(($1.hi - $1.lo) / page) }
        let libraries = code.filter { !$0.own }.reduce(0) { $0 + Int(($1.hi - $1.lo) / page) }
        let limit = readProcFile("/proc/sys/vm/max_map_count")
            .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 65_530
        guard let sizes = piecePages(ownPages: own, libraryPages: libraries, existing: existing, mapCountLimit: limit) else { return }
        for mapping in code {
            var odd = false
            for piece in pieces(lo: mapping.lo, hi: mapping.hi, pages: mapping.own ? sizes.own : sizes.libraries, pageSize: page) {
                if let base = UnsafeMutableRawPointer(bitPattern: piece.at) {
                    _ = madvise(base, Int(piece.length), odd ? MADV_NORMAL : MADV_RANDOM)
                }
                odd.toggle()
            }
            if let base = UnsafeMutableRawPointer(bitPattern: mapping.lo) { _ = madvise(base, Int(mapping.hi - mapping.lo), MADV_DONTNEED) }
        }
    }

    /// Unmaps the pages of [lo, hi) that are present and still the file's (`/proc/self/pagemap`
    /// bit 61; a page written since it was mapped is anonymous and stays), after advising the
    /// range `MADV_RANDOM`. Only for ranges nothing writes after start-up (`.rodata`): a clean
    /// page holds the file's bytes, so dropping it loses nothing. Returns the bytes unmapped.
    private static func releaseCleanPages(lo: UInt, hi: UInt) -> Int {
        let page = UInt(sysconf(Int32(_SC_PAGESIZE)))
        let first = (lo + page - 1) / page, last = hi / page
        guard last > first, let start = UnsafeMutableRawPointer(bitPattern: first * page) else { return 0 }
        _ = madvise(start, Int((last - first) * page), MADV_RANDOM)
        let fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var entries = [UInt64](repeating: 0, count: Int(last - first))
        let want = entries.count * 8
        let got = entries.withUnsafeMutableBytes { pread(fd, $0.baseAddress, want, off_t(first * 8)) }
        guard got == want else { return 0 }
        var released = 0
        for run in cleanRuns(entries) {
            guard let base = UnsafeMutableRawPointer(bitPattern: (first + UInt(run.lowerBound)) * page) else { continue }
            let length = run.count * Int(page)
            if madvise(base, length, MADV_DONTNEED) == 0 { released += length }
        }
        return released
    }

    /// The path of the running executable (`/proc/self/exe`).
    private static func executablePath() -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
    #endif

    /// Runs of pagemap entries that are present (bit 63) and file-backed (bit 61), as index
    /// ranges.
    static func cleanRuns(_ entries: [UInt64]) -> [Range<Int>] {
        var runs: [Range<Int>] = []
        var start: Int?
        for (i, e) in entries.enumerated() {
            let clean = e >> 63 & 1 == 1 && e >> 61 & 1 == 1
            if clean, start == nil { start = i }
            if !clean, let s = start { runs.append(s..<i); start = nil }
        }
        if let s = start { runs.append(s..<entries.count) }
        return runs
    }

    /// The link-time address range of a section of a 64-bit little-endian ELF file.
    static func sectionRange(named name: String, inELFAt path: String) -> (lo: UInt, hi: UInt)? {
        #if canImport(Glibc)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        func read(_ count: Int, at offset: UInt64) -> [UInt8]? {
            guard count > 0, count <= 1 << 24 else { return nil }
            var bytes = [UInt8](repeating: 0, count: count)
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, off_t(offset)) }
            return n == count ? bytes : nil
        }
        guard let header = read(64, at: 0), let table = ELFSections(header: header) else { return nil }
        guard let headers = read(table.count * 64, at: table.offset) else { return nil }
        let names = ELFSections.section(headers, table.namesIndex)
        guard let names, let strings = read(Int(names.size), at: names.offset) else { return nil }
        return ELFSections.find(name, headers: headers, count: table.count, strings: strings)
        #else
        return nil
        #endif
    }

    /// Whether an smaps line starts a mapping (`lo-hi perms …`, any kind), not one of its fields.
    static func isMappingHeader(_ line: Substring) -> Bool {
        let range = line.prefix(while: { $0 != " " })
        return range.contains("-") && range.allSatisfy { $0 == "-" || $0.isHexDigit }
    }

    /// A parsed smaps header line: `lo-hi perms offset dev inode path`.
    struct Mapping: Equatable {
        var lo: UInt
        var hi: UInt
        var readable: Bool
        var writable: Bool
        var executable: Bool = false
        var offset: UInt
        var path: String
    }

    /// The mapping of an smaps header line of a readable, file-backed mapping, nil for any
    /// other line (anonymous and special mappings, `---p` guards, the per-mapping fields).
    static func mapping(_ line: Substring) -> Mapping? {
        let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
        // The path is padded with spaces after the inode.
        guard fields.count == 6, fields[1].count == 4 else { return nil }
        let path = fields[5].drop(while: { $0 == " " })
        guard path.hasPrefix("/") else { return nil }
        let perms = fields[1]
        guard perms.first == "r" else { return nil }
        let bounds = fields[0].split(separator: "-")
        guard bounds.count == 2, let lo = UInt(bounds[0], radix: 16), let hi = UInt(bounds[1], radix: 16), hi > lo,
              let offset = UInt(fields[2], radix: 16) else { return nil }
        return Mapping(lo: lo, hi: hi, readable: true, writable: perms.contains("w"), executable: perms.contains("x"),
                       offset: offset, path: String(path))
    }

    /// The whole of a /proc file, read to its end (its size reads as 0, so Foundation's file
    /// readers may stop after their first buffer).
    static func readProcFile(_ path: String) -> String? {
        #if canImport(Glibc)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
        #else
        return nil
        #endif
    }
}

/// The section table of a 64-bit little-endian ELF file, read from its bytes (pure).
struct ELFSections: Equatable {
    /// File offset of the section headers.
    var offset: UInt64
    /// Number of section headers.
    var count: Int
    /// Index of the section holding the section names.
    var namesIndex: Int

    /// From the 64-byte file header. Nil for anything but a 64-bit little-endian ELF with
    /// 64-byte section headers and a names section inside its table.
    init?(header b: [UInt8]) {
        guard b.count >= 64, b[0] == 0x7F, b[1] == 0x45, b[2] == 0x4C, b[3] == 0x46, b[4] == 2, b[5] == 1,
              Self.u16(b, 0x3A) == 64 else { return nil }
        offset = Self.u64(b, 0x28)
        count = Int(Self.u16(b, 0x3C))
        namesIndex = Int(Self.u16(b, 0x3E))
        guard count > 0, count < 1 << 16, namesIndex < count else { return nil }
    }

    /// File offset and size of section `index` in the section headers' bytes.
    static func section(_ headers: [UInt8], _ index: Int) -> (offset: UInt64, size: UInt64)? {
        let at = index * 64
        guard index >= 0, at + 64 <= headers.count else { return nil }
        return (u64(headers, at + 0x18), u64(headers, at + 0x20))
    }

    /// The address range (sh_addr ..< sh_addr + sh_size) of the allocated section called `name`.
    static func find(_ name: String, headers: [UInt8], count: Int, strings: [UInt8]) -> (lo: UInt, hi: UInt)? {
        let wanted = Array(name.utf8)
        for index in 0..<count {
            let at = index * 64
            guard at + 64 <= headers.count else { return nil }
            let nameAt = Int(u32(headers, at))
            guard nameAt + wanted.count < strings.count,
                  strings[nameAt..<nameAt + wanted.count].elementsEqual(wanted), strings[nameAt + wanted.count] == 0 else { continue }
            let address = u64(headers, at + 0x10), size = u64(headers, at + 0x20)
            guard address > 0, size > 0, address <= UInt64(UInt.max) - size else { return nil }
            return (UInt(address), UInt(address + size))
        }
        return nil
    }

    static func u16(_ b: [UInt8], _ at: Int) -> UInt64 { UInt64(b[at]) | UInt64(b[at + 1]) << 8 }
    static func u32(_ b: [UInt8], _ at: Int) -> UInt64 { u16(b, at) | u16(b, at + 2) << 16 }
    static func u64(_ b: [UInt8], _ at: Int) -> UInt64 { u32(b, at) | u32(b, at + 4) << 32 }
}
