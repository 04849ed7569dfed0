public import VigilCore

/// An error in a rule file or rule test file, naming the file, the line and the field.
public typealias RuleFileError = PositionedError
