/// The PromQL semantics this engine follows: Prometheus 3.x (range selectors are left-open).
public enum PromQLSemantics {
    public static let followsPrometheus = "3.x"
}
