public import VigilCore

/// A notifier configuration error: file, line, column and key path (VigilCore's shared
/// positioned error). Its text never holds a secret value.
public typealias NotifyConfigError = PositionedError
