/// Renders an audit report in one output format. One file per format in
/// this folder; `AuditReportFormat.reporter` picks one.
public protocol AuditReporter: Sendable {
    /// `facts`: the facts document the report was evaluated on (the HTML report shows them).
    func render(_ report: AuditReport, facts: JSONValue?) -> String
}

/// The formats of `hostaudit audit --format`.
public enum AuditReportFormat: String, CaseIterable, Sendable {
    case text, json, jsonl, junit, prometheus, html

    /// The reporter for this format; `colour` only matters for text.
    public func reporter(colour: Bool = false) -> any AuditReporter {
        switch self {
        case .text: return AuditTextRenderer(colour: colour)
        case .json: return JSONReporter()
        case .jsonl: return JSONLinesReporter()
        case .junit: return JUnitReporter()
        case .prometheus: return PrometheusReporter()
        case .html: return HTMLReporter()
        }
    }
}
