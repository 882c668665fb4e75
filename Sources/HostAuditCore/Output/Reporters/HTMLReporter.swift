/// `--format html`: one self-contained HTML file (`HTMLReportRenderer`), with the facts when given.
public struct HTMLReporter: AuditReporter {
    public init() {}
    public func render(_ report: AuditReport, facts: JSONValue?) -> String {
        HTMLReportRenderer.render(report: report.json(), facts: facts)
    }
}
