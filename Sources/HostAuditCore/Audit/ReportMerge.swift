import Foundation

/// `hostaudit report merge`: many hosts' `hostaudit.report/v1` documents
/// (as the Ansible collect playbook fetches them) summed up as hosts ×
/// failing rules.
package struct ReportMerge: Sendable {
    package static let schema = "hostaudit.merge/v1"

    package struct Host: Sendable, Equatable {
        package var name: String
        package var file: String
        package var failOn: String
        /// `policy/rule` of every failing finding.
        package var failing: [String]
        var failedBySeverity: [String: Int]
        var blockedEgress: Int
        /// A failure at or above the report's own `fail_on`.
        package var failed: Bool
    }

    package struct Rule: Sendable, Equatable {
        package var key: String
        package var title: String
        package var severity: String
        package var hosts: [String]
    }

    package var hosts: [Host] = []
    package var problems: [String] = []

    package init() {}

    static let ranks = ["info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4]

    /// Adds one report; a document that is not a report becomes a problem.
    package mutating func add(file: String, bytes: [UInt8]) {
        let doc: JSONValue
        do { doc = try JSONValue(parsing: bytes) } catch {
            problems.append("\(file): \(error.description)")
            return
        }
        // A summary this command wrote earlier into the same folder is not a report and not a problem.
        if doc["schema"]?.stringValue == Self.schema { return }
        guard doc["schema"]?.stringValue == AuditReport.schema else {
            problems.append("\(file): not a \(AuditReport.schema) document")
            return
        }
        let name =
            doc["host"]?["hostname"]?.stringValue
            ?? ((file as NSString).lastPathComponent as NSString).deletingPathExtension
        let failOn = doc["fail_on"]?.stringValue ?? "high"
        var failing: [String] = []
        var bySev: [String: Int] = [:]
        var failed = false
        for f in doc["findings"]?.arrayValue ?? [] where f["status"]?.stringValue == "fail" {
            let key = "\(f["policy"]?.stringValue ?? "?")/\(f["rule"]?.stringValue ?? "?")"
            if !failing.contains(key) { failing.append(key) }
            let sev = f["severity"]?.stringValue ?? "info"
            bySev[sev, default: 0] += 1
            if (Self.ranks[sev] ?? 0) >= (Self.ranks[failOn] ?? 3) { failed = true }
        }
        let blocked = (doc["egress"]?.arrayValue ?? []).filter { $0["state"]?.stringValue != "open" }.count
        hosts.append(
            Host(
                name: name, file: file, failOn: failOn, failing: failing.sorted(), failedBySeverity: bySev,
                blockedEgress: blocked, failed: failed))
        titles(from: doc)
    }

    private var ruleInfo: [String: (title: String, severity: String)] = [:]

    private mutating func titles(from doc: JSONValue) {
        for f in doc["findings"]?.arrayValue ?? [] {
            let key = "\(f["policy"]?.stringValue ?? "?")/\(f["rule"]?.stringValue ?? "?")"
            if ruleInfo[key] == nil {
                ruleInfo[key] = (f["title"]?.stringValue ?? key, f["severity"]?.stringValue ?? "info")
            }
        }
    }

    /// Failing rules, most severe and most widespread first.
    package var rules: [Rule] {
        var byKey: [String: [String]] = [:]
        for h in hosts { for k in h.failing { byKey[k, default: []].append(h.name) } }
        return byKey.map { k, hs in
            Rule(key: k, title: ruleInfo[k]?.title ?? k, severity: ruleInfo[k]?.severity ?? "info", hosts: hs.sorted())
        }.sorted {
            let a = (Self.ranks[$0.severity] ?? 0, $0.hosts.count), b = (Self.ranks[$1.severity] ?? 0, $1.hosts.count)
            return a != b ? a > b : $0.key < $1.key
        }
    }

    var sortedHosts: [Host] { hosts.sorted { ($0.name, $0.file) < ($1.name, $1.file) } }
    package var anyFailed: Bool { hosts.contains(where: \.failed) }

    // MARK: Output

    package func json() -> JSONValue {
        .object(
            JSONObject([
                ("schema", .string(Self.schema)),
                (
                    "hosts",
                    .array(
                        sortedHosts.map { h in
                            var sev = JSONObject()
                            for s in ["critical", "high", "medium", "low", "info"] { sev[s] = .int(Int64(h.failedBySeverity[s] ?? 0)) }
                            return .object(
                                JSONObject([
                                    ("host", .string(h.name)), ("file", .string(h.file)), ("failed", .bool(h.failed)),
                                    ("fail_on", .string(h.failOn)), ("failing", .array(h.failing.map(JSONValue.string))),
                                    ("failed_by_severity", .object(sev)), ("egress_blocked", .int(Int64(h.blockedEgress))),
                                ]))
                        })
                ),
                (
                    "rules",
                    .array(
                        rules.map { r in
                            .object(
                                JSONObject([
                                    ("rule", .string(r.key)), ("title", .string(r.title)), ("severity", .string(r.severity)),
                                    ("hosts", .array(r.hosts.map(JSONValue.string))), ("count", .int(Int64(r.hosts.count))),
                                ]))
                        })
                ),
                ("problems", .array(problems.map(JSONValue.string))),
            ]))
    }

    package func text() -> String {
        let e = TerminalText.escape
        let failedHosts = hosts.filter(\.failed).count
        var out = "hostaudit report merge: \(hosts.count) host\(hosts.count == 1 ? "" : "s"), \(failedHosts) failing\n"
        out += "\nHosts\n"
        for h in sortedHosts {
            let sev = ["critical", "high", "medium", "low", "info"].compactMap { s in h.failedBySeverity[s].map { "\($0) \(s)" } }
            out += "  \(h.failed ? "FAIL" : "ok  ") \(e(h.name))  \(h.failing.count) failing"
            if !sev.isEmpty { out += " (\(sev.joined(separator: ", ")))" }
            if h.blockedEgress > 0 { out += ", \(h.blockedEgress) egress blocked" }
            out += "\n"
        }
        let rs = rules
        if !rs.isEmpty {
            out += "\nFailing rules\n"
            for r in rs {
                out += "  \(r.severity.padding(toLength: 8, withPad: " ", startingAt: 0)) \(e(r.key))  \(r.hosts.count)/\(hosts.count) hosts: "
                    + r.hosts.map(e).joined(separator: ", ") + "\n"
            }
        }
        for p in problems { out += "problem: \(e(p))\n" }
        return out
    }

    /// A hosts × failing rules table as one self-contained HTML page.
    package func html() -> String {
        let t = HTMLText.text
        let rs = rules
        let hs = sortedHosts
        var b = "<header><h1>hostaudit fleet summary</h1>"
        let failedHosts = hs.filter(\.failed).count
        b += "<p class=\"verdict \(failedHosts == 0 ? "pass" : "fail")\" id=\"verdict\"><span class=\"badge\">\(failedHosts == 0 ? "✓ PASS" : "✗ FAIL")</span> "
        b += "\(failedHosts) of \(hs.count) host\(hs.count == 1 ? "" : "s") failing</p></header>"
        b += "<section><h2>Hosts × failing rules</h2><div class=\"svgwrap\"><table class=\"matrix\" id=\"fleet\"><thead><tr><th scope=\"col\">rule</th><th scope=\"col\">severity</th>"
        for h in hs { b += "<th scope=\"col\">\(t(h.name, HTMLText.maxScalars))</th>" }
        b += "<th scope=\"col\">hosts</th></tr></thead><tbody>"
        for r in rs {
            b += "<tr><th scope=\"row\"><code>\(t(r.key, HTMLText.maxScalars))</code><br><small>\(t(r.title, HTMLText.maxScalars))</small></th><td class=\"sev-\(HTMLText.token(r.severity)) hot\">\(t(r.severity, 20))</td>"
            for h in hs {
                b += h.failing.contains(r.key) ? "<td class=\"c-local-firewall\"><span class=\"sym\">✗</span> fail</td>" : "<td>·</td>"
            }
            b += "<td>\(r.hosts.count)</td></tr>"
        }
        b += "<tr><th scope=\"row\">verdict</th><td></td>"
        for h in hs { b += "<td class=\"\(h.failed ? "c-local-firewall" : "c-none")\">\(h.failed ? "✗ FAIL" : "✓ ok")</td>" }
        b += "<td>\(failedHosts)</td></tr></tbody></table></div></section>"
        if !problems.isEmpty {
            b += "<section><h2>Problems</h2><ul>" + problems.map { "<li>\(t($0, HTMLText.maxScalars))</li>" }.joined() + "</ul></section>"
        }
        return HTMLReportRenderer.page(title: "hostaudit fleet summary", body: b)
    }
}
