import Foundation

/// `--format text`: a headline verdict, why egress is blocked, then findings
/// grouped by severity with evidence and remediation. Host-supplied strings
/// are escaped; colour only when asked for.
public struct AuditTextRenderer: Sendable {
    public var colour: Bool
    public init(colour: Bool = false) { self.colour = colour }

    func paint(_ s: String, _ code: String) -> String { colour ? "\u{1b}[\(code)m\(s)\u{1b}[0m" : s }

    public func render(_ r: AuditReport) -> String {
        let esc = TerminalText.escape
        var out = ""
        let s = r.summary
        let failedAtOrAbove = r.findings.filter { $0.status == .fail && $0.severity >= r.failOn }
        let hostName = r.host.hostname.map(esc) ?? "(unknown host)"
        out += "hostaudit audit: \(hostName)"
        if let k = r.host.kernel { out += ", kernel \(esc(k))" }
        out += ", profile \(r.profile?.rawValue ?? "all"), started \(AuditHost.rfc3339(r.host.startedAt)), \(r.host.durationMs) ms\n"
        if failedAtOrAbove.isEmpty {
            out += paint("VERDICT: PASS", "1;32") + " - nothing at or above \(r.failOn.rawValue) failed"
        } else {
            var counts: [String] = []
            for sev in Severity.allCases.reversed() {
                let n = failedAtOrAbove.filter { $0.severity == sev }.count
                if n > 0 { counts.append("\(n) \(sev.rawValue)") }
            }
            out += paint("VERDICT: FAIL", "1;31") + " - \(failedAtOrAbove.count) failure\(failedAtOrAbove.count == 1 ? "" : "s") at or above \(r.failOn.rawValue) (\(counts.joined(separator: ", ")))"
        }
        let blocked = r.egress.filter { !$0.isOpen }
        if !blocked.isEmpty { out += "; \(blocked.count) egress target\(blocked.count == 1 ? "" : "s") blocked" }
        out += "\n"
        for n in r.notes { out += paint("note: ", "33") + esc(n) + "\n" }

        if !blocked.isEmpty {
            out += "\n" + paint("Why egress is blocked", "1") + "\n"
            for p in blocked {
                let addr = p.address.map { $0.contains(":") ? "[\($0)]:\(p.target.port)" : "\($0):\(p.target.port)" } ?? "-"
                let sure = p.confidence == .unknown ? "not determined" : p.confidence.rawValue
                out += "  \(esc(p.target.text)) -> \(esc(addr))  \(p.state.rawValue.uppercased()) (\(esc(p.reason)))  cause: \(p.cause.rawValue) (\(sure))\n"
                out += "    \(esc(p.explanation))\n"
                if p.confidence == .unknown, !p.candidates.isEmpty {
                    out += "    possible causes: \(p.candidates.map { "\($0.cause.rawValue) (tell apart: \(esc($0.tellApart)))" }.joined(separator: "; "))\n"
                }
                if let v = p.localVerdict?.json(), v["verdict"]?.stringValue != "accept", let rule = v["rule"]?.stringValue {
                    out += "    local rule: \(esc(rule))\n"
                }
                if !p.relatedFindings.isEmpty {
                    out += "    related findings: \(p.relatedFindings.map(esc).joined(separator: ", "))\n"
                }
            }
        }
        let open = r.egress.filter(\.isOpen)
        if !open.isEmpty {
            out += "\nEgress open: " + open.map { esc($0.target.text) + ($0.address.map { " (\(esc($0)))" } ?? "") }.joined(separator: ", ") + "\n"
        }

        for sev in Severity.allCases.reversed() {
            let group = r.orderedFindings.filter { $0.severity == sev && ($0.status == .fail || $0.status == .error) }
            guard !group.isEmpty else { continue }
            out += "\n" + paint(sev.rawValue.capitalized, sev >= .high ? "1;31" : "1") + "\n"
            for f in group.sorted(by: { ($0.status == .fail ? 0 : 1, FindingKey($0)) < ($1.status == .fail ? 0 : 1, FindingKey($1)) }) {
                let tag = f.status == .fail ? paint("FAIL ", "31") : paint("ERROR", "33")
                out += "  \(tag) \(esc(f.policy))/\(esc(f.rule))  \(esc(f.title))\n"
                if let d = f.detail { out += "        \(esc(d))\n" }
                for e in f.evidence.prefix(10) { out += "        - \(esc(Self.evidenceLine(e)))\n" }
                if f.evidence.count > 10 { out += "        - ... \(f.evidence.count - 10) more\n" }
                if f.status == .fail, let rem = f.remediation { out += "        fix: \(esc(rem))\n" }
            }
        }
        out += Self.byControl(r, paint: paint)
        if let c = r.changes {
            out += "\nChanges since the last run:\n"
            if c.isEmpty { out += "  none\n" }
            out += AuditChangesRenderer.lines(c)
        }
        out += "\n\(r.findings.count) findings: \(s.byStatus[.pass] ?? 0) pass, \(s.byStatus[.fail] ?? 0) fail, "
            + "\(s.byStatus[.error] ?? 0) error, \(s.byStatus[.skip] ?? 0) skip\n"
        return out
    }

    /// "By control": every control the evaluated rules map to, with the
    /// status of each rule; empty when no rule names a control.
    static func byControl(_ r: AuditReport, paint: (String, String) -> String) -> String {
        let esc = TerminalText.escape
        let groups = AuditControls.groups(r.orderedFindings)
        guard !groups.isEmpty else { return "" }
        var out = "\n" + paint("By control", "1") + "\n"
        for g in groups {
            let worst = AuditControls.status(g.findings)
            out += "  \(worst.rawValue.uppercased().padding(toLength: 5, withPad: " ", startingAt: 0)) \(esc(g.control.label))"
            if let t = g.control.title { out += "  \(esc(t))" }
            out += "\n"
            for f in g.findings {
                out += "        \(f.status.rawValue) \(esc(f.policy))/\(esc(f.rule))\n"
            }
        }
        return out
    }

    /// One line for an evidence item.
    public static func evidenceLine(_ e: JSONValue) -> String {
        if let x = e["explanation"]?.stringValue {
            return "\(e["target"]?.stringValue ?? "?") \(e["state"]?.stringValue ?? ""): \(x)"
        }
        if let v = e["value"], let line = sysctlLine(v) { return line }
        var parts: [String] = []
        if let pid = e["pid"]?.intValue { parts.append("pid \(pid)") }
        for k in ["comm", "exe"] { if let s = e[k]?.stringValue { parts.append(s) } }
        if let d = e["detail"]?.stringValue {
            parts.append(d)
        } else if let p = e["path"]?.stringValue {
            parts.append(p)
        }
        if let v = e["value"], let vd = v["detail"]?.stringValue ?? v["path"]?.stringValue { parts.append("(\(vd))") }
        if parts.isEmpty { return JSONWriter(pretty: false).string(e) }
        return parts.joined(separator: " ")
    }
}

/// Findings grouped by benchmark control (framework, then id in numeric order).
public enum AuditControls {
    public struct Group: Sendable {
        public var control: PolicyControl
        public var findings: [Finding]
    }

    public static func groups(_ findings: [Finding]) -> [Group] {
        var byKey: [String: Group] = [:]
        for f in findings {
            for c in f.controls {
                let key = c.framework + "\u{0}" + c.id
                if byKey[key] == nil { byKey[key] = Group(control: c, findings: []) }
                if byKey[key]!.control.title == nil { byKey[key]!.control.title = c.title }
                byKey[key]!.findings.append(f)
            }
        }
        return byKey.values.sorted { a, b in
            if a.control.framework != b.control.framework { return a.control.framework < b.control.framework }
            return idOrder(a.control.id, b.control.id)
        }
    }

    /// "3.3.10" after "3.3.9": numeric parts compare as numbers.
    static func idOrder(_ a: String, _ b: String) -> Bool {
        let x = a.split(separator: "."), y = b.split(separator: ".")
        for (p, q) in zip(x, y) where p != q {
            if let i = Int(p), let j = Int(q) { return i < j }
            return p < q
        }
        return x.count < y.count
    }

    /// A control's status: fail if any of its rules failed, then error, then pass, else skip.
    public static func status(_ findings: [Finding]) -> Finding.Status {
        let s = Set(findings.map(\.status))
        for candidate in [Finding.Status.fail, .error, .pass] where s.contains(candidate) { return candidate }
        return .skip
    }
}

extension AuditTextRenderer {
    /// A `kernel.sysctl` item as one line: a setting (`key: live 1, configured 0 at FILE:LINE`)
    /// or an interface's effective value (`ipv4 eth0 rp_filter: effective 0 (interface 0, all 0; max(all, interface))`).
    static func sysctlLine(_ v: JSONValue) -> String? {
        func s(_ k: String) -> String { v[k]?.stringValue ?? "unknown" }
        if let key = v["key"]?.stringValue, v["name"] != nil, v["configured"] != nil {
            var out = "\(key): live \(s("live")), " + (v["configured"]?.stringValue.map { "configured \($0)" } ?? "not set in any file")
            if let at = v["configured_at"], let path = at["path"]?.stringValue, let line = at["line"]?.intValue {
                out += " at \(path):\(line)"
            }
            return out
        }
        if let iface = v["interface"]?.stringValue, let name = v["name"]?.stringValue, let rule = v["rule"]?.stringValue,
            let family = v["family"]?.stringValue
        {
            return "\(family) \(iface) \(name): effective \(s("effective")) (interface \(s("own")), all \(s("all")); \(rule))"
        }
        if let key = v["key"]?.stringValue, let configured = v["configured"]?.stringValue, let live = v["live"]?.stringValue,
            let path = v["path"]?.stringValue, let line = v["line"]?.intValue
        {
            return "\(key): live \(live), configured \(configured) at \(path):\(line)"
        }
        return nil
    }
}

/// The lines `--quiet` prints: only what changed since the last run.
public enum AuditChangesRenderer {
    public static func lines(_ c: AuditChanges) -> String {
        var out = ""
        for i in c.new {
            out += "  NEW      \(i.severity.rawValue) \(TerminalText.escape(i.policy))/\(TerminalText.escape(i.rule))  \(TerminalText.escape(i.title))\n"
        }
        for i in c.resolved {
            out += "  RESOLVED \(i.severity.rawValue) \(TerminalText.escape(i.policy))/\(TerminalText.escape(i.rule))  \(TerminalText.escape(i.title))\n"
        }
        return out
    }
}

/// `--format junit`: one `<testsuite>` per policy, one `<testcase>` per rule.
public enum AuditJUnitRenderer {
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\n", "\t": out.unicodeScalars.append(u)
            default:
                let v = u.value
                // Characters XML 1.0 cannot carry at all: written as visible escapes.
                if v < 0x20 || v == 0xFFFE || v == 0xFFFF || (0x7F...0x9F).contains(v) {
                    out += "\\x" + String(format: "%02x", v)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out
    }

    public static func render(_ r: AuditReport) -> String {
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
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
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
