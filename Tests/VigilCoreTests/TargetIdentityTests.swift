import Foundation
import Testing
@testable import VigilCore

@Suite("target identity and the reload plan")
struct TargetIdentityTests {
    struct Options: Hashable, Sendable {
        var dsn: String
        var sizeInterval: Double = 300
    }

    static func target(_ kind: String, _ name: String, interval: Double = 15, labels: [Label] = [],
                       _ options: Options, files: [FileFingerprint] = []) -> TargetIdentity {
        TargetIdentity(kind: kind, name: name, interval: interval, timeout: interval * 2 / 3, labels: labels,
                       settings: TargetSettings(options), files: files)
    }

    @Test("equal options, schedule, labels and files make equal identities; any one differing makes them differ")
    func equality() {
        let base = Self.target("postgres", "main", Options(dsn: "host=a"))
        #expect(base == Self.target("postgres", "main", Options(dsn: "host=a")))
        #expect(base != Self.target("postgres", "main", Options(dsn: "host=b")))
        #expect(base != Self.target("postgres", "main", Options(dsn: "host=a", sizeInterval: 60)))
        #expect(base != Self.target("postgres", "main", interval: 30, Options(dsn: "host=a")))
        #expect(base != Self.target("postgres", "main", labels: [Label("server", "main")], Options(dsn: "host=a")))
        #expect(base != Self.target("postgres", "main", Options(dsn: "host=a"),
                                    files: [FileFingerprint(path: "/q.yml", content: .bytes([1]))]))
        #expect(base != Self.target("redis", "main", Options(dsn: "host=a")))
        // The same values under two option types are two different configurations.
        struct Other: Hashable, Sendable { var dsn: String; var sizeInterval: Double = 300 }
        #expect(TargetSettings(Options(dsn: "x")) != TargetSettings(Other(dsn: "x")))
        #expect(TargetSettings.none == TargetSettings.none)
    }

    @Test("an identity prints its key only, never the options or file contents that may hold secrets")
    func neverPrintsSecrets() {
        let id = Self.target("postgres", "main", Options(dsn: "password=Sup3rSecret"),
                             files: [FileFingerprint(path: "/run/pw", content: .bytes(Array("An0ther".utf8)))])
        for text in ["\(id)", String(describing: id.settings), "\(id.files)"] {
            #expect(!text.contains("Sup3rSecret") && !text.contains("An0ther"), "\(text)")
        }
        #expect("\(id)" == "postgres/main")
    }

    @Test("the plan keeps unchanged targets, restarts changed ones, stops removed ones and starts new ones")
    func plan() {
        let running = [
            Self.target("postgres", "a", Options(dsn: "host=a")),
            Self.target("redis", "r", Options(dsn: "redis://r")),
            Self.target("postgres", "gone", Options(dsn: "host=g")),
            Self.target("process", "vigil", Options(dsn: "")),
        ]
        let wanted = [
            Self.target("process", "vigil", Options(dsn: "")),
            Self.target("redis", "r", Options(dsn: "redis://r")),
            Self.target("postgres", "a", Options(dsn: "host=a2")),
            Self.target("postgres", "new", Options(dsn: "host=n")),
        ]
        let plan = TargetPlan.make(running: running, wanted: wanted)
        #expect(plan == TargetPlan(kept: ["process/vigil", "redis/r"], restarted: ["postgres/a"],
                                   added: ["postgres/new"], removed: ["postgres/gone"]))
        #expect(plan.stops("postgres/a") && plan.stops("postgres/gone"))
        #expect(!plan.stops("redis/r") && !plan.stops("postgres/new"))
    }

    @Test("a name that moves to another kind is a removal and an addition, not a kept target")
    func kindIsPartOfTheKey() {
        let plan = TargetPlan.make(running: [Self.target("postgres", "x", Options(dsn: "d"))],
                                   wanted: [Self.target("redis", "x", Options(dsn: "d"))])
        #expect(plan == TargetPlan(added: ["redis/x"], removed: ["postgres/x"]))
    }

    @Test("the plan of a configuration to itself keeps everything; from or to nothing adds or removes everything")
    func edges() {
        let all = [Self.target("postgres", "a", Options(dsn: "1")), Self.target("redis", "b", Options(dsn: "2"))]
        #expect(TargetPlan.make(running: all, wanted: all) == TargetPlan(kept: ["postgres/a", "redis/b"]))
        #expect(TargetPlan.make(running: [], wanted: all) == TargetPlan(added: ["postgres/a", "redis/b"]))
        #expect(TargetPlan.make(running: all, wanted: []) == TargetPlan(removed: ["postgres/a", "redis/b"]))
        // A key listed twice counts once.
        #expect(TargetPlan.make(running: all + all, wanted: all + all) == TargetPlan(kept: ["postgres/a", "redis/b"]))
    }

    @Test("a file's fingerprint follows its contents; a FIFO, a directory or a missing file is unreadable without blocking")
    func fingerprints() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-fp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("password").path
        try "one\n".write(toFile: file, atomically: true, encoding: .utf8)
        let first = FileFingerprint.read(file)
        #expect(first == FileFingerprint.read(file))
        #expect(first.content == .bytes(Array("one\n".utf8)))
        try "two\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(FileFingerprint.read(file) != first)

        let fifo = dir.appendingPathComponent("fifo").path
        #expect(mkfifo(fifo, 0o600) == 0)
        #expect(FileFingerprint.read(fifo).content == .unreadable)
        #expect(FileFingerprint.read(dir.path).content == .unreadable)
        #expect(FileFingerprint.read(dir.appendingPathComponent("missing").path).content == .unreadable)

        let large = dir.appendingPathComponent("large").path
        try Data(count: FileFingerprint.limit + 1).write(to: URL(fileURLWithPath: large))
        guard case .large(let size, _) = FileFingerprint.read(large).content else {
            Issue.record("a file over the limit is fingerprinted by size and time")
            return
        }
        #expect(size == UInt64(FileFingerprint.limit + 1))
    }
}
