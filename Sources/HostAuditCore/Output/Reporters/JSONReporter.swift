/// `--format json`: the `hostaudit.report/v1` document, pretty-printed, one trailing newline.
public struct JSONReporter: AuditReporter {
    public init() {}
    public func render(_ report: AuditReport, facts: JSONValue?) -> String { JSONWriter().string(report.json()) + "\n" }
}
