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

    /// Whether `releaseStartupPages` runs: `VIGIL_RELEASE_STARTUP_PAGES=0` keeps every page
    /// mapped (for measuring what the release saves, or should it ever get in the way).
    static let releasesStartupPages = ProcessInfo.processInfo.environment["VIGIL_RELEASE_STARTUP_PAGES"] != "0"

    /// Drops this process' page-table entries for file-backed pages that hold exactly the file's
    /// bytes (read-only mappings with no private copy: code, read-only data, symbol and
    /// relocation tables). Called once, after the first collection round: what start-up alone
    /// touched (the dynamic linker's relocation and symbol lookups, option and YAML parsing,
    /// rule-file parsing, one-time library initialisation) stops counting as resident; what
    /// the running process uses is mapped again from the page cache on its next touch (a minor
    /// fault). Mappings with anonymous (copied-on-write) pages, such as relocated read-only
    /// data, are never touched. Returns the bytes of the mappings advised.
    @discardableResult
    static func releaseStartupPages() -> Int {
        #if canImport(Glibc)
        guard let text = readProcFile("/proc/self/smaps") else { return 0 }
        var advised = 0
        var range: (lo: UInt, hi: UInt)?
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if let r = mappingHeader(line) {
                range = r
                continue
            }
            guard let r = range, line.hasPrefix("Anonymous:") else { continue }
            range = nil
            let kib = line.dropFirst("Anonymous:".count).split(separator: " ").first.flatMap { Int($0) }
            guard kib == 0, let base = UnsafeMutableRawPointer(bitPattern: r.lo) else { continue }
            if madvise(base, Int(r.hi - r.lo), MADV_DONTNEED) == 0 { advised += Int(r.hi - r.lo) }
        }
        return advised
        #else
        return 0
        #endif
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

    /// The address range of an smaps header line of a read-only, file-backed mapping
    /// (`lo-hi perms offset dev inode /path`), nil for any other line.
    static func mappingHeader(_ line: Substring) -> (lo: UInt, hi: UInt)? {
        let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
        // The path is padded with spaces after the inode.
        guard fields.count == 6, fields[1].count == 4, fields[5].drop(while: { $0 == " " }).hasPrefix("/") else { return nil }
        let perms = fields[1]
        guard perms.first == "r", !perms.contains("w") else { return nil }
        let bounds = fields[0].split(separator: "-")
        guard bounds.count == 2, let lo = UInt(bounds[0], radix: 16), let hi = UInt(bounds[1], radix: 16), hi > lo else { return nil }
        return (lo, hi)
    }
}
