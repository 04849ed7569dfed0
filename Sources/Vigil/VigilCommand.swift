import ArgumentParser
import Foundation
import Logging
import Rules
import VigilCore

/// The entry point: the allocator is configured before any other thread exists, then the
/// command line runs.
@main
enum VigilMain {
    static func main() async {
        MemoryFootprint.configureAllocator()
        await VigilCommand.main()
    }
}

struct VigilCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigil",
        abstract: "Collects PostgreSQL and Redis metrics and serves them to Prometheus.",
        discussion: """
            Vigil collects its targets on a schedule and serves the results on /metrics in the \
            Prometheus text format and OpenMetrics, under postgres_exporter's and redis_exporter's \
            metric names. Without --config it watches DATABASE_URL (or DATA_SOURCE_NAME, or libpq's \
            PG* environment) and REDIS_URL (or REDIS_ADDR, or redis://localhost:6379).
            """,
        version: VigilVersion.description,
        subcommands: [RunCommand.self, CheckConfigCommand.self, CheckRulesCommand.self, TestRulesCommand.self, SilenceCommand.self, VersionCommand.self],
        defaultSubcommand: RunCommand.self
    )
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print Vigil's version and exit.")
    func run() {
        print("vigil \(VigilVersion.description)")
    }
}

struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate a configuration file and print the effective configuration.",
        discussion: """
            Prints the configuration Vigil would run with, defaults filled in and every secret \
            redacted. Exit status 0 when the file is valid, 2 when it is not (the error names the \
            file, line, column and key).
            """
    )

    @Argument(help: "The configuration file to check.")
    var file: String

    func run() throws {
        do {
            let config = try VigilConfig.load(file: file, environment: ProcessInfo.processInfo.environment)
            // The exporter-toolkit web file is checked too (certificates load, hashes are bcrypt).
            if let web = config.web.configFile { _ = try WebConfigFile.load(path: web) }
            for pattern in config.unmatchedRuleFiles {
                FileHandle.standardError.write(Data("warning: rule_files pattern \(pattern) matched no file\n".utf8))
            }
            print(config.renderedYAML(), terminator: "")
        } catch let error as PositionedError {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(2)
        }
    }
}

struct CheckRulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-rules",
        abstract: "Check rule files for errors, like `promtool check rules`.",
        discussion: "Prometheus rule files and the seed's `alerts:` shorthand. Exit status 0 when every file is valid, 1 otherwise.")

    @Argument(help: "Rule files to check.")
    var files: [String]

    func run() throws {
        let report = RuleChecker.check(paths: files)
        print(report.text, terminator: report.text.hasSuffix("\n") ? "" : "\n")
        if !report.passed { throw ExitCode(1) }
    }
}

struct TestRulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test-rules",
        abstract: "Run rule unit-test files in promtool's format, like `promtool test rules`.",
        discussion: "Each file names its rule_files, evaluation_interval, input_series, alert_rule_test and promql_expr_test. Exit status 0 when every test passes, 1 otherwise.")

    @Argument(help: "Rule unit-test files.")
    var files: [String]

    func run() throws {
        var passed = true
        for file in files {
            // Say what is wrong with a file that cannot be read (missing, a directory, not
            // UTF-8 at line N, …) in the runner's report shape.
            do {
                _ = try StrictYAMLContext.readText(path: file)
            } catch {
                print("Unit Testing:  \(file)\n  FAILED:\n    \(error)")
                passed = false
                continue
            }
            let report = RuleTestRunner.run(path: file)
            print(report.text, terminator: report.text.hasSuffix("\n") ? "" : "\n")
            passed = passed && report.passed
        }
        if !passed { throw ExitCode(1) }
    }
}

/// Log levels as the command line spells them.
enum LogLevelOption: String, ExpressibleByArgument, CaseIterable {
    case trace, debug, info, notice, warning, error, critical
    var level: Logger.Level { Logger.Level(rawValue: rawValue) ?? .info }
}

/// Log formats as the command line spells them.
enum LogFormatOption: String, ExpressibleByArgument, CaseIterable {
    case text, json
    var format: LogFormat { self == .json ? .json : .text }
}

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run Vigil: collect on schedule and serve /metrics (the default command).",
        discussion: """
            SIGTERM or SIGINT stop Vigil gracefully; SIGHUP (or POST /-/reload) reloads the \
            configuration file, keeping the running configuration when the new one is invalid.
            """
    )

    @Option(name: .long, help: ArgumentHelp("Configuration file (YAML). Without it, the embedded default is used.", valueName: "file"))
    var config: String?

    @Option(name: .customLong("web.listen-address"), help: ArgumentHelp("Address to serve on, overriding web.listen_address (default \(VigilConfig.defaultListenAddress)).", valueName: "addr"))
    var listenAddress: String?

    @Option(name: .customLong("web.config.file"), help: ArgumentHelp("exporter-toolkit web configuration file (TLS, basic auth, headers), overriding web.config_file.", valueName: "file"))
    var webConfigFile: String?

    @Option(name: .customLong("log-format"), help: "Log format: text or json.")
    var logFormat: LogFormatOption = .text

    @Option(name: .customLong("log-level"), help: "Least severe level logged: trace, debug, info, notice, warning, error, critical.")
    var logLevel: LogLevelOption = .info

    func run() async throws {
        let format = logFormat.format
        let level = logLevel.level
        LoggingSystem.bootstrap { label in VigilLogHandler(label: label, format: format, level: level) }
        let logger = Logger(label: "vigil")
        let environment = ProcessInfo.processInfo.environment
        let loaded: VigilConfig
        do {
            loaded = try Self.loadConfig(file: config, environment: environment)
        } catch let error as PositionedError {
            logger.critical("invalid configuration", metadata: ["error": "\(error)"])
            throw ExitCode(2)
        }
        let app = VigilApp(configFile: config, listenOverride: listenAddress, webConfigOverride: webConfigFile, logger: logger)
        try await app.run(initial: loaded)
    }

    static func loadConfig(file: String?, environment: [String: String]) throws -> VigilConfig {
        guard let file else { return try VigilConfig.embeddedDefault(environment: environment) }
        return try VigilConfig.load(file: file, environment: environment)
    }
}
