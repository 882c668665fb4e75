import Foundation

/// `--format prometheus`: the node_exporter textfile-collector format.
///
/// Names follow Prometheus' conventions: gauges without `_total`, base units
/// in the name (`_seconds`). Label values that come from the host (egress
/// targets read from its package-source files) are bounded: escaped to
/// printable text, cut to `maxLabelScalars`, and at most `maxTargets` target
/// series, the rest counted in `hostaudit_egress_targets_omitted`, so a
/// hostile sources.list cannot blow up a time-series database.
public enum AuditPrometheusRenderer {
    public static let maxLabelScalars = 128
    public static let maxTargets = 64

    /// Escapes a label value: backslash, double quote and newline.
    public static func label(_ s: String) -> String {
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
    public static func boundedLabel(_ s: String) -> String {
        let visible = TerminalText.escape(s)
        let scalars = visible.unicodeScalars
        if scalars.count <= maxLabelScalars { return label(visible) }
        return label(String(String.UnicodeScalarView(scalars.prefix(maxLabelScalars - 1))) + "…")
    }

    public static func render(_ r: AuditReport, now: Date) -> String {
        var out = ""
        out += "# HELP hostaudit_findings Findings of the last audit by severity and status.\n"
        out += "# TYPE hostaudit_findings gauge\n"
        for sev in Severity.allCases {
            for st in Finding.Status.allCases {
                let n = r.findings.filter { $0.severity == sev && $0.status == st }.count
                out += "hostaudit_findings{severity=\"\(sev.rawValue)\",status=\"\(st.rawValue)\"} \(n)\n"
            }
        }
        out += "# HELP hostaudit_finding_failed A rule that failed in the last audit (1).\n"
        out += "# TYPE hostaudit_finding_failed gauge\n"
        var seen = Set<String>()
        for f in r.orderedFindings where f.status == .fail {
            let line = "hostaudit_finding_failed{rule=\"\(boundedLabel(f.rule))\",severity=\"\(f.severity.rawValue)\",policy=\"\(boundedLabel(f.policy))\"} 1\n"
            if seen.insert(line).inserted { out += line }
        }
        if let changes = r.changes {
            out += "# HELP hostaudit_finding_new A rule that fails now and did not in the previous run (1; only with --state).\n"
            out += "# TYPE hostaudit_finding_new gauge\n"
            for i in changes.new.sorted(by: { $0.key < $1.key }) {
                out += "hostaudit_finding_new{rule=\"\(boundedLabel(i.rule))\",severity=\"\(i.severity.rawValue)\",policy=\"\(boundedLabel(i.policy))\"} 1\n"
            }
        }
        out += "# HELP hostaudit_egress_open Whether an egress target was reachable (1) or not (0) in the last audit.\n"
        out += "# TYPE hostaudit_egress_open gauge\n"
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
        out += "# HELP hostaudit_egress_targets_omitted Egress targets left out of hostaudit_egress_open (series bound).\n"
        out += "# TYPE hostaudit_egress_targets_omitted gauge\n"
        out += "hostaudit_egress_targets_omitted \(omitted)\n"
        out += "# HELP hostaudit_egress_package_sources Package-source targets probed in the last audit.\n"
        out += "# TYPE hostaudit_egress_package_sources gauge\n"
        out += "hostaudit_egress_package_sources \(packageSources.count)\n"
        out += "# HELP hostaudit_egress_package_sources_blocked Package-source targets that were not reachable in the last audit.\n"
        out += "# TYPE hostaudit_egress_package_sources_blocked gauge\n"
        out += "hostaudit_egress_package_sources_blocked \(packageSources.values.filter { !$0 }.count)\n"
        out += "# HELP hostaudit_last_run_timestamp_seconds When the last audit finished (Unix time).\n"
        out += "# TYPE hostaudit_last_run_timestamp_seconds gauge\n"
        out += "hostaudit_last_run_timestamp_seconds \(String(format: "%.3f", now.timeIntervalSince1970))\n"
        out += "# HELP hostaudit_run_duration_seconds How long the last audit took.\n"
        out += "# TYPE hostaudit_run_duration_seconds gauge\n"
        out += "hostaudit_run_duration_seconds \(String(format: "%.3f", Double(r.host.durationMs) / 1000))\n"
        return out
    }
}

/// `--format prometheus` as a reporter: the samples are stamped when rendered.
public struct PrometheusReporter: AuditReporter {
    public init() {}
    public func render(_ report: AuditReport, facts: JSONValue?) -> String { AuditPrometheusRenderer.render(report, now: Date()) }
}
