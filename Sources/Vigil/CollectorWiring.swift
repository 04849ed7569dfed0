import Logging
import VigilCore

/// Builds the PostgreSQL and Redis targets of a configuration.
enum CollectorWiring {
    static func postgres(_ config: VigilConfig, logger: Logger) -> [TargetSpec] { [] }
    static func redis(_ config: VigilConfig, logger: Logger) -> [TargetSpec] { [] }
}
