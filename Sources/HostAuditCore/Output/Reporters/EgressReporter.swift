/// Renders an egress document (`hostaudit.egress/v1`) in one output format:
/// the sibling of `AuditReporter` for `hostaudit egress`. One file per
/// format in this folder; `EgressReportFormat.reporter` picks one.
package protocol EgressReporter: Sendable {
    func render(_ document: EgressDocument) -> String
}

/// The formats of `hostaudit egress --format`.
package enum EgressReportFormat: String, CaseIterable, Sendable {
    case text, json, html

    /// The reporter for this format. `hostname` names the host in the HTML
    /// header; it is asked only for `html`.
    package func reporter(hostname: () -> String? = { nil }) -> any EgressReporter {
        switch self {
        case .text: return EgressTextRenderer()
        case .json: return EgressJSONReporter()
        case .html: return EgressHTMLReporter(hostname: hostname())
        }
    }
}
