import Foundation
import Testing
import VigilTestSupport

/// scripts/lib/image.sh: which Debian mirror scripts/check-image's debootstrap takes from the
/// machine's apt configuration, and when scripts/test runs scripts/check-image.
@Suite("the image check's helpers (scripts/lib/image.sh)")
struct ImageScriptTests {
    /// Sources scripts/lib/image.sh and runs `call` with bash in the repository root.
    static func helper(_ call: String, _ arguments: [String]) throws -> Subprocess.Output {
        let script = "cd \"$0\" && source scripts/lib/image.sh && " + call + " \"$@\""
        return try Subprocess.run("/bin/bash", ["-c", script, Fixtures.repositoryRoot.path] + arguments, environment: ["PATH": "/usr/bin:/bin"], timeout: 30)
    }

    /// The mirror for bookworm from a deb822 file and a one-line file (either may be absent).
    static func mirror(sources: String?, list: String?) throws -> (status: Int32, mirror: String) {
        let dir = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let sourcesPath = dir.appendingPathComponent("debian.sources").path
        let listPath = dir.appendingPathComponent("sources.list").path
        if let sources { try sources.write(toFile: sourcesPath, atomically: true, encoding: .utf8) }
        if let list { try list.write(toFile: listPath, atomically: true, encoding: .utf8) }
        let out = try helper("debian_mirror_from_apt", ["bookworm", sourcesPath, listPath])
        return (out.status, out.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test("Debian 12's own debian.sources gives the debian archive's URI, not debian-security's")
    func debianTwelveDefault() throws {
        let sources = """
            Types: deb
            # http://snapshot.debian.org/archive/debian/20250520T000000Z
            URIs: http://deb.debian.org/debian
            Suites: bookworm bookworm-updates
            Components: main
            Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

            Types: deb
            URIs: http://deb.debian.org/debian-security
            Suites: bookworm-security
            Components: main
            Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

            """
        let result = try Self.mirror(sources: sources, list: nil)
        #expect(result.status == 0)
        #expect(result.mirror == "http://deb.debian.org/debian")
    }

    @Test("deb822: security first, disabled and deb-src stanzas skipped, folded fields read, trailing slash dropped")
    func deb822Stanzas() throws {
        let sources = """
            Types: deb
            URIs: https://security.example/debian-security
            Suites: bookworm-security
            Components: main

            Types: deb
            URIs: http://disabled.example/debian
            Suites: bookworm
            Enabled: no

            Types: deb-src
            URIs: http://source.example/debian
            Suites: bookworm

            types: deb
            uris: cdrom:/media/cdrom
             https://mirror.example/debian/
            suites: trixie
             bookworm
            components: main
            """
        let result = try Self.mirror(sources: sources, list: "deb http://list.example/debian bookworm main\n")
        #expect(result.status == 0)
        #expect(result.mirror == "https://mirror.example/debian")
    }

    @Test("sources.list: comments, deb-src, other suites skipped; [options] allowed; read when debian.sources names none")
    func oneLineStyle() throws {
        let list = """
            # deb http://commented.example/debian bookworm main
            deb-src http://source.example/debian bookworm main
            deb [arch=amd64 signed-by=/usr/share/keyrings/k.gpg] http://updates.example/debian bookworm-updates main
            deb [ trusted=yes ] http://list.example/debian/ bookworm main contrib # a comment
            deb http://later.example/debian bookworm main
            """
        let onlyList = try Self.mirror(sources: nil, list: list)
        #expect(onlyList.status == 0)
        #expect(onlyList.mirror == "http://list.example/debian")
        // A debian.sources for another release only: the one-line file is read.
        let trixie = "Types: deb\nURIs: http://trixie.example/debian\nSuites: trixie\n"
        let trixieOnly = try Self.mirror(sources: trixie, list: list)
        #expect(trixieOnly.status == 0 && trixieOnly.mirror == "http://list.example/debian")
    }

    @Test("no file naming a http(s) mirror for bookworm: nothing printed, status 1 (check-image falls back to deb.debian.org)")
    func nothingFound() throws {
        let none = try Self.mirror(sources: nil, list: nil)
        #expect(none.status == 1 && none.mirror.isEmpty)
        let ubuntu = try Self.mirror(
            sources: "Types: deb\nURIs: http://archive.ubuntu.com/ubuntu\nSuites: noble noble-updates\n",
            list: "deb cdrom:[Debian 12]/ bookworm main\ndeb file:/srv/mirror bookworm main\n")
        #expect(ubuntu.status == 1 && ubuntu.mirror.isEmpty)
    }

    @Test("scripts/test runs check-image under CI=true or VIGIL_CHECK_IMAGE=1; VIGIL_CHECK_IMAGE=0 wins; another value is an error")
    func whenCheckImageRuns() throws {
        let cases: [(ci: String, flag: String, expected: String)] = [
            ("true", "", "true"), ("", "", "false"), ("false", "", "false"),
            ("", "1", "true"), ("true", "0", "false"), ("true", "1", "true"), ("", "0", "false"),
        ]
        for c in cases {
            let out = try Self.helper("check_image_wanted", [c.ci, c.flag])
            #expect(out.status == 0, "CI='\(c.ci)' VIGIL_CHECK_IMAGE='\(c.flag)': \(out.stderr)")
            #expect(out.stdout == c.expected + "\n", "CI='\(c.ci)' VIGIL_CHECK_IMAGE='\(c.flag)'")
        }
        let bad = try Self.helper("check_image_wanted", ["true", "yes"])
        #expect(bad.status == 2 && bad.stdout.isEmpty)
        #expect(bad.stderr.contains("VIGIL_CHECK_IMAGE must be 1") && bad.stderr.contains("'yes'"))
    }
}
