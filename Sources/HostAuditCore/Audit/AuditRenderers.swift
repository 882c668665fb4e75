import Foundation

/// Findings grouped by benchmark control (framework, then id in numeric order).
enum AuditControls {
    struct Group: Sendable {
        var control: PolicyControl
        var findings: [Finding]
    }

    static func groups(_ findings: [Finding]) -> [Group] {
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
    static func status(_ findings: [Finding]) -> Finding.Status {
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
package enum AuditChangesRenderer {
    package static func lines(_ c: AuditChanges) -> String {
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
