import Foundation

/// Paths of the test fixtures copied into the test bundle.
enum FixtureFiles {
    static var root: String {
        Bundle.module.url(forResource: "Fixtures", withExtension: nil)?.path ?? "Tests/RulesTests/Fixtures"
    }

    static func path(_ relative: String) -> String { "\(root)/\(relative)" }

    /// Every `.yml` file of a fixture folder, sorted.
    static func files(in folder: String) -> [String] {
        let dir = path(folder)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.filter { $0.hasSuffix(".yml") && !$0.hasPrefix(".") }.sorted().map { "\(dir)/\($0)" }
    }
}
