import Foundation

/// The exposition format of a scraped body, chosen from its `Content-Type` the way Prometheus
/// chooses: OpenMetrics when the server says so, the text format 0.0.4 otherwise.
public enum ScrapeFormat: String, Sendable, Hashable {
    case text
    case openMetrics = "openmetrics"

    public init(contentType: String?) {
        let media = contentType?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        self = media == "application/openmetrics-text" ? .openMetrics : .text
    }

    /// The `Accept` header Prometheus 3.x sends with its default `scrape_protocols` and legacy
    /// metric names (Vigil's names are legacy ones): OpenMetrics 1.0.0 first, then 0.0.1, then
    /// the text formats, each weighted one tenth lower, anything else last.
    public static let acceptHeader =
        "application/openmetrics-text;version=1.0.0;escaping=underscores;q=0.6," +
        "application/openmetrics-text;version=0.0.1;q=0.5," +
        "text/plain;version=1.0.0;escaping=underscores;q=0.4," +
        "text/plain;version=0.0.4;q=0.3," +
        "*/*;q=0.2"
}
