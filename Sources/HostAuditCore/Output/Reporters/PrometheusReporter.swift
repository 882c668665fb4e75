import Foundation

/// `--format prometheus`: the node_exporter textfile-collector format.
///
/// Names follow Prometheus' conventions: gauges without `_total`, base units
/// in the name (`_seconds`). Label values that come from the host (egress
/// targets read from its package-source files) are bounded: escaped to
/// printable text, cut to `maxLabelScalars`, and at most `maxTargets` target
/// series, the rest counted in `hostaudit_egress_targets_omitted`, so a
/// hostile sources.list cannot blow up a time-series database.
package enum AuditPrometheusRenderer {
    static let maxLabelScalars = 128
    package static let maxTargets = 64

    /// Escapes a label value: backslash, double quote and newline.
    package static func label(_ s: String) -> String {
        ScalarEscaping.replacing(s) {
            switch $0 {
            case "\\": "\\\\"
            case "\"": "\\\""
            case "\n": "\\n"
            default: nil
            }
        }
    }

    /// A host-controlled label value: control and direction characters made
    /// visible, at most `maxLabelScalars` scalars, then escaped.
    static func boundedLabel(_ s: String) -> String {
        let visible = TerminalText.escape(s)
        let scalars = visible.unicodeScalars
        if scalars.count <= maxLabelScalars { return label(visible) }
        return label(String(String.UnicodeScalarView(scalars.prefix(maxLabelScalars - 1))) + "…")
    }

    /// A metric's `# HELP` and `# TYPE … gauge` lines.
    static func header(_ name: String, _ help: String) -> String { "# HELP \(name) \(help)\n# TYPE \(name) gauge\n" }

    /// A gauge with one unlabelled sample.
    static func gauge(_ name: String, _ help: String, _ value: String) -> String { header(name, help) + "\(name) \(value)\n" }

    package static func render(_ r: AuditReport, now: Date) -> String {
        var out = ""
        out += header("hostaudit_findings", "Findings of the last audit by severity and status.")
        for sev in Severity.allCases {
            for st in Finding.Status.allCases {
                let n = r.findings.filter { $0.severity == sev && $0.status == st }.count
                out += "hostaudit_findings{severity=\"\(sev.rawValue)\",status=\"\(st.rawValue)\"} \(n)\n"
            }
        }
        out += header("hostaudit_finding_failed", "A rule that failed in the last audit (1).")
        var seen = Set<String>()
        for f in r.orderedFindings where f.status == .fail {
            let line = "hostaudit_finding_failed{rule=\"\(boundedLabel(f.rule))\",severity=\"\(f.severity.rawValue)\",policy=\"\(boundedLabel(f.policy))\"} 1\n"
            if seen.insert(line).inserted { out += line }
        }
        if let changes = r.changes {
            out += header("hostaudit_finding_new", "A rule that fails now and did not in the previous run (1; only with --state).")
            for i in changes.new.sorted(by: { $0.key < $1.key }) {
                out += "hostaudit_finding_new{rule=\"\(boundedLabel(i.rule))\",severity=\"\(i.severity.rawValue)\",policy=\"\(boundedLabel(i.policy))\"} 1\n"
            }
        }
        out += header("hostaudit_egress_open", "Whether an egress target was reachable (1) or not (0) in the last audit.")
        var targets: [(String, Bool)] = []
        var packageSources: [String: Bool] = [:]
        for p in r.egress {
            if !p.target.origins.isEmpty { packageSources[p.target.text] = (packageSources[p.target.text] ?? false) || p.isOpen }
            if let i = targets.firstIndex(where: { $0.0 == p.target.text }) {
                targets[i].1 = targets[i].1 || p.isOpen
            } else {
                targets.append((p.target.text, p.isOpen))
            }
        }
        var labelled = Set<String>()
        var omitted = 0
        for (t, open) in targets {
            let l = boundedLabel(t)
            guard labelled.count < maxTargets, labelled.insert(l).inserted else {
                omitted += 1
                continue
            }
            out += "hostaudit_egress_open{target=\"\(l)\"} \(open ? 1 : 0)\n"
        }
        out += gauge("hostaudit_egress_targets_omitted", "Egress targets left out of hostaudit_egress_open (series bound).", "\(omitted)")
        out += gauge("hostaudit_egress_package_sources", "Package-source targets probed in the last audit.", "\(packageSources.count)")
        out += gauge(
            "hostaudit_egress_package_sources_blocked", "Package-source targets that were not reachable in the last audit.",
            "\(packageSources.values.filter { !$0 }.count)")
        out += gauge(
            "hostaudit_last_run_timestamp_seconds", "When the last audit finished (Unix time).",
            String(format: "%.3f", now.timeIntervalSince1970))
        out += gauge(
            "hostaudit_run_duration_seconds", "How long the last audit took.", String(format: "%.3f", Double(r.host.durationMs) / 1000))
        return out
    }
}

/// `--format prometheus` as a reporter: the samples are stamped when rendered.
public struct PrometheusReporter: AuditReporter {
    public init() {}
    public func render(_ report: AuditReport, facts: JSONValue?) -> String { AuditPrometheusRenderer.render(report, now: Date()) }
}
