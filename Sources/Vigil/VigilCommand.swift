import ArgumentParser
import VigilCore

@main
struct VigilCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigil",
        abstract: "Collects PostgreSQL and Redis metrics, serves them to Prometheus, evaluates alert rules and sends notifications.",
        version: VigilVersion.current,
        subcommands: [VersionCommand.self]
    )
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print Vigil's version and exit.")
    func run() {
        print("vigil \(VigilVersion.current)")
    }
}
