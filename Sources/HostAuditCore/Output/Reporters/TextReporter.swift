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
                out += "  \(esc(p.target.text)) -> \(esc(addr))  \(p.state.rawValue.uppercased()) (\(esc(p.reason.rawValue)))  cause: \(p.cause.rawValue) (\(sure))\n"
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

extension AuditTextRenderer: AuditReporter {
    public func render(_ report: AuditReport, facts: JSONValue?) -> String { render(report) }
}
