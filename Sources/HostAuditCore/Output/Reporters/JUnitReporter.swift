import Foundation

/// `--format junit`: one `<testsuite>` per policy, one `<testcase>` per rule.
package enum AuditJUnitRenderer {
    package static func escape(_ s: String) -> String {
        ScalarEscaping.replacing(s) { u in
            if let entity = ScalarEscaping.markupEntity(u, apostrophe: "&apos;") { return entity }
            let v = u.value
            // Characters XML 1.0 cannot carry at all: written as visible escapes.
            guard u != "\n", u != "\t", v < 0x20 || v == 0xFFFE || v == 0xFFFF || (0x7F...0x9F).contains(v) else {
                return nil
            }
            return "\\x" + String(format: "%02x", v)
        }
    }

    package static func render(_ r: AuditReport) -> String {
        let e = escape
        let groups = Dictionary(grouping: r.orderedFindings, by: \.policy)
        let s = r.summary
        let time = String(format: "%.3f", Double(r.host.durationMs) / 1000)
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<testsuites name=\"hostaudit\" tests=\"\(r.findings.count)\" failures=\"\(s.byStatus[.fail] ?? 0)\" "
            + "errors=\"\(s.byStatus[.error] ?? 0)\" skipped=\"\(s.byStatus[.skip] ?? 0)\" time=\"\(time)\">\n"
        for policy in groups.keys.sorted() {
            let fs = groups[policy]!
            let ps = FindingSummary(fs)
            out += "  <testsuite name=\"\(e(policy))\" tests=\"\(fs.count)\" failures=\"\(ps.byStatus[.fail] ?? 0)\" "
                + "errors=\"\(ps.byStatus[.error] ?? 0)\" skipped=\"\(ps.byStatus[.skip] ?? 0)\" time=\"0\" "
                + "timestamp=\"\(e(AuditHost.rfc3339(r.host.startedAt)))\" hostname=\"\(e(r.host.hostname ?? "unknown"))\">\n"
            for f in fs {
                out += "    <testcase classname=\"\(e(policy))\" name=\"\(e(f.rule))\" time=\"0\">\n"
                if !f.controls.isEmpty {
                    out += "      <properties>\n"
                    for c in f.controls {
                        out += "        <property name=\"control\" value=\"\(e(c.framework)) \(e(c.id))\"/>\n"
                    }
                    out += "      </properties>\n"
                }
                let body =
                    ([f.title] + (f.detail.map { [$0] } ?? []) + f.evidence.map { "- " + AuditTextRenderer.evidenceLine($0) }
                    + (f.remediation.map { ["fix: " + $0] } ?? [])).joined(separator: "\n")
                switch f.status {
                case .fail:
                    out += "      <failure message=\"\(e(f.title))\" type=\"\(f.severity.rawValue)\">\(e(body))</failure>\n"
                case .error:
                    out += "      <error message=\"\(e(f.detail ?? f.title))\" type=\"error\">\(e(body))</error>\n"
                case .skip:
                    out += "      <skipped message=\"\(e(f.detail ?? "skipped"))\"/>\n"
                case .pass: break
                }
                out += "    </testcase>\n"
            }
            out += "  </testsuite>\n"
        }
        out += "</testsuites>\n"
        return out
    }
}

/// `--format junit` as a reporter.
public struct JUnitReporter: AuditReporter {
    public init() {}
    public func render(_ report: AuditReport, facts: JSONValue?) -> String { AuditJUnitRenderer.render(report) }
}
