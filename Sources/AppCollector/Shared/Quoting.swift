import VigilCore

/// A string as `check-config` prints it: the one quoting every kind uses (`TargetList.quoted`).
func quote(_ s: String) -> String { TargetList.quoted(s) }
