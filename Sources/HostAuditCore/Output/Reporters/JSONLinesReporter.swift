import Foundation

/// `--format jsonl`: for log shippers (Vector, Fluent Bit, Promtail). One
/// JSON object per line: every finding, then every egress probe, each with
/// `"schema": "hostaudit.finding/v1"`, the report's `host`, a `run_id` shared
/// by the lines of one run and `"kind": "finding"` or `"egress"` (an
/// addition), then the finding's (or probe's) fields as in
/// `hostaudit.report/v1` (a probe's own `host`, the target's name, becomes
/// `target_host`). JSON strings escape every control character, so a
/// host string can never break a line.
package enum AuditJSONLinesRenderer {
    package static let schema = "hostaudit.finding/v1"

    /// A fresh run id: a random UUID, lower case.
    static func newRunID() -> String { UUID().uuidString.lowercased() }

    package static func render(_ r: AuditReport, runID: String) -> String {
        var out = ""
        let writer = JSONWriter(pretty: false)
        let host = r.host.json()
        let profile: JSONValue = r.profile.map { .string($0.rawValue) } ?? .null
        func line(kind: String, _ fields: JSONValue) {
            var o = JSONObject([
                ("schema", .string(schema)), ("host", host), ("run_id", .string(runID)), ("kind", .string(kind)),
                ("profile", profile),
            ])
            for (k, v) in fields.objectValue?.entries ?? [] {
                // A probe's `host` (the target's name) would clash with the report's host.
                let name = k == "host" ? "target_host" : k
                if o[name] == nil { o[name] = v }
            }
            out += writer.string(.object(o)) + "\n"
        }
        for f in r.orderedFindings { line(kind: "finding", f.json()) }
        for p in r.egress { line(kind: "egress", p.json()) }
        return out
    }
}

/// `--format jsonl` as a reporter: a fresh run id per rendering.
public struct JSONLinesReporter: AuditReporter {
    public init() {}
    public func render(_ report: AuditReport, facts: JSONValue?) -> String {
        AuditJSONLinesRenderer.render(report, runID: AuditJSONLinesRenderer.newRunID())
    }
}
