import Foundation

/// `hostaudit policy check`'s result: the findings of one offline evaluation.
public struct PolicyCheckReport: Sendable {
    public static let schema = "hostaudit.policy-check/v1"

    public var findings: [Finding]
    public var profile: Profile?
    public var summary: FindingSummary

    public init(findings: [Finding], profile: Profile?) {
        self.findings = findings
        self.profile = profile
        self.summary = FindingSummary(findings)
    }

    /// `--format json`: the `hostaudit.policy-check/v1` document, one trailing newline.
    public func json() -> String {
        var o = JSONObject()
        o["schema"] = .string(Self.schema)
        o["profile"] = profile.map { .string($0.rawValue) } ?? .null
        o["findings"] = .array(findings.map { $0.json() })
        o["summary"] = summary.json()
        return JSONWriter().string(.object(o)) + "\n"
    }

    /// `--format text`.
    public func text() -> String { FindingsText.render(findings, summary: summary) }
}

/// Findings for people: failures first, then errors, skips and passes, with
/// evidence; host-supplied text escaped.
enum FindingsText {
    static func render(_ findings: [Finding], summary: FindingSummary) -> String {
        var out = ""
        let order: [Finding.Status] = [.fail, .error, .skip, .pass]
        for status in order {
            let group = findings.filter { $0.status == status }.sorted {
                ($0.severity, $1.rule) > ($1.severity, $0.rule)
            }
            for f in group {
                out += "\(status.rawValue.uppercased().padding(toLength: 5, withPad: " ", startingAt: 0)) "
                    + "\(f.severity.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0))"
                    + "\(TerminalText.escape(f.policy))/\(TerminalText.escape(f.rule))  \(TerminalText.escape(f.title))\n"
                if let d = f.detail, status != .pass { out += "      \(TerminalText.escape(d))\n" }
                if status == .fail || status == .error {
                    for e in f.evidence.prefix(10) {
                        let text = e["detail"]?.stringValue ?? e["explanation"]?.stringValue ?? JSONWriter(pretty: false).string(e)
                        let path = e["path"]?.stringValue.map { "\($0): " } ?? ""
                        out += "      - \(TerminalText.escape(path + text))\n"
                    }
                    if f.evidence.count > 10 { out += "      - … \(f.evidence.count - 10) more\n" }
                    if status == .fail, let r = f.remediation { out += "      fix: \(TerminalText.escape(r))\n" }
                }
            }
        }
        let c = summary.byStatus
        out += "\(findings.count) findings: \(c[.pass] ?? 0) pass, \(c[.fail] ?? 0) fail, \(c[.error] ?? 0) error, \(c[.skip] ?? 0) skip\n"
        return out
    }
}
