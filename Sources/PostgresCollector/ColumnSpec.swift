import VigilCore

/// How one column of a statistics view becomes a metric: the family name, its type and help.
struct ColumnSpec {
    let column: String
    let name: String
    let type: MetricType
    let help: String

    init(_ column: String, _ name: String, _ type: MetricType, _ help: String) {
        self.column = column
        self.name = name
        self.type = type
        self.help = help
    }
}

extension FamilyBuilder {
    /// Adds one sample per spec from `row` (NULL reads as `null`, 0 unless told). A counter
    /// below zero is left out.
    mutating func add(_ specs: [ColumnSpec], from row: Row, labels: Labels, null: Double = 0) {
        for s in specs {
            let v = row.double(s.column) ?? null
            if s.type == .counter, v < 0 { continue }
            add(s.name, s.type, v, labels, help: s.help)
        }
    }
}
