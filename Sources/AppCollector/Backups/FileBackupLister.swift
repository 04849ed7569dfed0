#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import VigilCore

/// The regular files a glob matches (symbolic links followed), with size and mtime.
enum FileBackupLister {
    static func list(_ pattern: String, maxFiles: Int) throws -> [BackupEntry] {
        var g = glob_t()
        defer { globfree(&g) }
        let rc = glob(pattern, 0, nil, &g)
        if rc == GLOB_NOMATCH { return [] }
        guard rc == 0 else {
            throw CollectorError(rc == GLOB_ABORTED ? "cannot read a directory of \(pattern)" : "glob \(pattern) failed (\(rc))")
        }
        let count = Int(g.gl_pathc)
        guard count <= maxFiles else { throw CollectorError("\(pattern) matches \(count) paths, more than max_files (\(maxFiles))") }
        var out: [BackupEntry] = []
        for i in 0..<count {
            guard let p = g.gl_pathv[i] else { continue }
            var st = stat()
            guard stat(p, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { continue }
            let modified = Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9
            out.append(BackupEntry(name: String(cString: p), size: Double(st.st_size), modified: modified))
        }
        return out
    }
}
