import Foundation

/// `--format html`: one self-contained file a person can read, archive,
/// attach to a ticket and print.
///
/// Rendered from the JSON documents (`hostaudit.report/v1`,
/// `hostaudit.egress/v1`), so a recorded report renders the same as a live
/// one and every field a probe carries is used. Inline CSS and SVG only: a
/// Content-Security-Policy meta tag forbids every fetch except inline styles
/// and `data:` images, and nothing needs JavaScript. Every string from the
/// host goes through `HTMLText.text`.
package enum HTMLReportRenderer {
    static let csp = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

    static let severities = ["critical", "high", "medium", "low", "info"]

    /// A cause's symbol and words in the probe matrix and its legend (the
    /// symbol carries the meaning; the colour only repeats it).
    static let causeLegend: [(cause: String, symbol: String, words: String)] = [
        ("none", "✓", "open"),
        ("closed-port", "●", "closed port (host answered)"),
        ("local-firewall", "■", "local firewall rule"),
        ("selinux-denied", "◆", "SELinux denied"),
        ("no-route", "↛", "no route"),
        ("upstream-filter", "▲", "filtered upstream (silence)"),
        ("upstream-reject", "△", "rejected upstream (ICMP)"),
        ("host-down", "○", "host down"),
        ("dns-failure", "?", "name did not resolve"),
        ("unknown", "…", "unknown (see candidates)"),
    ]

    static func symbol(_ cause: String) -> String { causeLegend.first { $0.cause == cause }?.symbol ?? "…" }

    // MARK: Documents

    /// An audit report. `facts` is the facts document (optional) for the collapsed summary.
    package static func render(report r: JSONValue, facts: JSONValue? = nil) -> String {
        let host = r["host"]
        let hostname = host?["hostname"]?.stringValue
        let findings = r["findings"]?.arrayValue ?? []
        let egress = r["egress"]?.arrayValue ?? []
        let failOn = r["fail_on"]?.stringValue ?? "high"
        let failRank = rank(failOn)
        let failing = findings.filter { $0["status"]?.stringValue == "fail" }
        let atOrAbove = failing.filter { rank($0["severity"]?.stringValue ?? "info") >= failRank }
        let blocked = egress.filter { $0["state"]?.stringValue != "open" }
        let newKeys = Set((r["changes"]?["new"]?.arrayValue ?? []).map(key))

        var b = ""
        b += "<header><h1>hostaudit audit: \(HTMLText.text(hostname ?? "(unknown host)"))</h1>"
        var meta: [String] = []
        if let k = host?["kernel"]?.stringValue { meta.append("kernel \(HTMLText.text(k))") }
        meta.append("profile \(HTMLText.text(r["profile"]?.stringValue ?? "all"))")
        if let s = host?["started_at"]?.stringValue { meta.append("started \(HTMLText.text(s))") }
        if let d = host?["duration_ms"]?.intValue { meta.append("\(d) ms") }
        b += "<p class=\"meta\">\(meta.joined(separator: " · "))</p>"
        let pass = atOrAbove.isEmpty
        b += "<p class=\"verdict \(pass ? "pass" : "fail")\" id=\"verdict\">"
        if pass {
            b += "<span class=\"badge\">✓ PASS</span> nothing at or above \(HTMLText.text(failOn)) failed"
        } else {
            b += "<span class=\"badge\">✗ FAIL</span> \(atOrAbove.count) failure\(atOrAbove.count == 1 ? "" : "s") at or above \(HTMLText.text(failOn))"
        }
        if !blocked.isEmpty { b += "; \(blocked.count) egress probe\(blocked.count == 1 ? "" : "s") blocked" }
        b += "</p>"
        b += counts(findings: findings)
        for n in r["notes"]?.arrayValue ?? [] { b += "<p class=\"note\">note: \(HTMLText.text(n.stringValue ?? ""))</p>" }
        b += "</header>"

        if !egress.isEmpty { b += egressSection(egress, hostname: hostname) }

        // Findings by severity: failures and errors in full.
        b += "<section id=\"findings\"><h2>Findings</h2>"
        var any = false
        for sev in severities {
            let group = findings.filter {
                $0["severity"]?.stringValue == sev && ["fail", "error"].contains($0["status"]?.stringValue ?? "")
            }
            guard !group.isEmpty else { continue }
            any = true
            b += "<h3 class=\"sev-\(sev)\">\(sev.capitalized) <span class=\"n\">(\(group.count))</span></h3>"
            for f in group.sorted(by: { ($0["status"]?.stringValue ?? "", key($0)) < ($1["status"]?.stringValue ?? "", key($1)) }) {
                b += finding(f, isNew: newKeys.contains(key(f)))
            }
        }
        if !any { b += "<p>No finding failed.</p>" }
        b += "</section>"

        if let c = r["changes"], !c.isNull {
            let new = c["new"]?.arrayValue ?? []
            let resolved = c["resolved"]?.arrayValue ?? []
            b += "<section id=\"changes\"><h2>Changes since the last run</h2>"
            if new.isEmpty && resolved.isEmpty { b += "<p>None.</p>" }
            if !new.isEmpty || !resolved.isEmpty {
                b += "<ul class=\"changes\">"
                for i in new { b += "<li><span class=\"tag new\">NEW</span> \(changeItem(i))</li>" }
                for i in resolved { b += "<li><span class=\"tag resolved\">RESOLVED</span> \(changeItem(i))</li>" }
                b += "</ul>"
            }
            b += "</section>"
        }

        // Passed and skipped rules: collapsed, but every finding id is in the page.
        let rest = findings.filter { ["pass", "skip"].contains($0["status"]?.stringValue ?? "") }
        if !rest.isEmpty {
            b += "<details id=\"passed\"><summary>Passed and skipped rules (\(rest.count))</summary><ul class=\"rest\">"
            for f in rest.sorted(by: { key($0) < key($1) }) {
                let st = f["status"]?.stringValue ?? "?"
                b += "<li id=\"\(findingID(f))\" data-finding=\"\(HTMLText.text(key(f)))\"><span class=\"tag \(st)\">\(st == "pass" ? "✓ PASS" : "– SKIP")</span> "
                b += "<code>\(HTMLText.text(key(f)))</code> \(HTMLText.text(f["title"]?.stringValue ?? ""))"
                if st == "skip", let d = f["detail"]?.stringValue { b += " — \(HTMLText.text(d))" }
                b += "</li>"
            }
            b += "</ul></details>"
        }
        if let facts { b += factsSection(facts) }
        return page(title: "hostaudit audit: \(hostname ?? "unknown host")", body: b)
    }

    /// An egress document (`hostaudit egress --format html`).
    package static func render(egress doc: JSONValue, hostname: String? = nil) -> String {
        let probes = doc["probes"]?.arrayValue ?? []
        let blocked = probes.filter { $0["state"]?.stringValue != "open" }
        var b = "<header><h1>hostaudit egress\(hostname.map { ": " + HTMLText.text($0) } ?? "")</h1>"
        b += "<p class=\"verdict \(blocked.isEmpty ? "pass" : "fail")\" id=\"verdict\">"
        b += blocked.isEmpty
            ? "<span class=\"badge\">✓ OPEN</span> every target is open"
            : "<span class=\"badge\">✗ BLOCKED</span> \(blocked.count) of \(probes.count) probe\(probes.count == 1 ? "" : "s") not open"
        b += "</p></header>"
        b += egressSection(probes, hostname: hostname)
        let dns = doc["dns"]?.arrayValue ?? []
        if !dns.isEmpty {
            b += "<details id=\"dns\"><summary>Name resolution (\(dns.count))</summary><pre>"
            b += HTMLText.text(JSONWriter().string(.array(dns)), limit: 65536)
            b += "</pre></details>"
        }
        return page(title: "hostaudit egress", body: b)
    }

    // MARK: Pieces

    static func rank(_ s: String) -> Int { ["info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4][s] ?? 0 }

    static func key(_ f: JSONValue) -> String { "\(f["policy"]?.stringValue ?? "?")/\(f["rule"]?.stringValue ?? "?")" }

    /// The element id of a finding: `finding-POLICY-RULE` as an id token.
    package static func findingID(_ f: JSONValue) -> String {
        "finding-" + HTMLText.token(f["policy"]?.stringValue ?? "") + "--" + HTMLText.token(f["rule"]?.stringValue ?? "")
    }

    static func counts(findings: [JSONValue]) -> String {
        var b = "<table class=\"counts\"><thead><tr><th scope=\"col\">failed</th>"
        for s in severities { b += "<th scope=\"col\" class=\"sev-\(s)\">\(s)</th>" }
        b += "</tr></thead><tbody><tr><th scope=\"row\">count</th>"
        for s in severities {
            let n = findings.filter { $0["status"]?.stringValue == "fail" && $0["severity"]?.stringValue == s }.count
            b += "<td class=\"\(n > 0 ? "sev-\(s) hot" : "zero")\">\(n)</td>"
        }
        b += "</tr></tbody></table>"
        var byStatus: [String] = []
        for st in ["pass", "fail", "error", "skip"] {
            byStatus.append("\(findings.filter { $0["status"]?.stringValue == st }.count) \(st)")
        }
        return b + "<p class=\"meta\">\(findings.count) findings: \(byStatus.joined(separator: ", "))</p>"
    }

    static func changeItem(_ i: JSONValue) -> String {
        "\(HTMLText.text(i["severity"]?.stringValue ?? "?")) <code>\(HTMLText.text(key(i)))</code> \(HTMLText.text(i["title"]?.stringValue ?? ""))"
    }

    /// The command line a process item carries (`value.cmdline.args`), for a
    /// reader who must see what ran: arguments with spaces or quotes in single
    /// quotes, at most 64 arguments (the text is escaped and cut by the caller).
    static func commandLine(_ e: JSONValue) -> String? {
        guard let args = e["value"]?["cmdline"]?["args"]?.arrayValue?.compactMap(\.stringValue), !args.isEmpty else { return nil }
        var parts = args.prefix(64).map { a -> String in
            guard a.isEmpty || a.unicodeScalars.contains(where: { $0 == " " || $0 == "'" || $0 == "\"" || $0 == "\t" }) else { return a }
            return "'" + a.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }
        if args.count > 64 { parts.append("… \(args.count - 64) more") }
        if e["value"]?["cmdline"]?["truncated"]?.boolValue == true { parts.append("(cut by the collector)") }
        return parts.joined(separator: " ")
    }

    static func finding(_ f: JSONValue, isNew: Bool) -> String {
        let st = f["status"]?.stringValue ?? "?"
        let sev = f["severity"]?.stringValue ?? "info"
        var b = "<article class=\"finding sev-\(HTMLText.token(sev))\" id=\"\(findingID(f))\" data-finding=\"\(HTMLText.text(key(f)))\">"
        b += "<h4><span class=\"tag \(st)\">\(st == "fail" ? "✗ FAIL" : "! ERROR")</span>"
        if isNew { b += " <span class=\"tag new\">NEW</span>" }
        b += " <code>\(HTMLText.text(key(f)))</code> \(HTMLText.text(f["title"]?.stringValue ?? ""))</h4>"
        if let d = f["detail"]?.stringValue { b += "<p>\(HTMLText.text(d))</p>" }
        let ev = f["evidence"]?.arrayValue ?? []
        if !ev.isEmpty {
            b += "<ul class=\"evidence\">"
            for e in ev.prefix(20) {
                b += "<li>\(HTMLText.text(AuditTextRenderer.evidenceLine(e)))"
                if let cmd = commandLine(e) { b += "<br><span class=\"cmd\">command line: <code>\(HTMLText.text(cmd))</code></span>" }
                b += "</li>"
            }
            if ev.count > 20 { b += "<li>… \(ev.count - 20) more</li>" }
            b += "</ul>"
        }
        if st == "fail", let rem = f["remediation"]?.stringValue { b += "<p class=\"fix\"><b>Fix:</b> \(HTMLText.text(rem))</p>" }
        let refs = (f["references"]?.arrayValue ?? []).compactMap(\.stringValue)
        if !refs.isEmpty {
            // References are shown as text, never as links: the page fetches nothing and sends no one anywhere.
            b += "<p class=\"refs\"><b>References:</b> " + refs.map { "<code>\(HTMLText.text($0))</code>" }.joined(separator: " ") + "</p>"
        }
        return b + "</article>"
    }

    static func egressSection(_ probes: [JSONValue], hostname: String?) -> String {
        var b = "<section id=\"egress\"><h2>Where egress dies</h2>"
        b += matrix(probes)
        let blocked = probes.enumerated().filter { $0.element["state"]?.stringValue != "open" }
        for (i, p) in blocked {
            let d = EgressPathDiagram(probe: p, hostname: hostname)
            let cause = p["cause"]?.stringValue ?? "unknown"
            let addr = p["address"]?.stringValue ?? "no address"
            b += "<article class=\"probe\" id=\"probe-\(i)\" data-target=\"\(HTMLText.text(p["target"]?.stringValue ?? ""))\" data-cause=\"\(HTMLText.token(cause))\">"
            b += "<h3>\(symbol(cause)) \(HTMLText.text(p["target"]?.stringValue ?? "?")) <span class=\"addr\">(\(HTMLText.text(addr)))</span> — "
            b += "\(HTMLText.text(p["state"]?.stringValue ?? "?")), cause <b>\(HTMLText.text(cause))</b>"
            if let c = p["confidence"]?.stringValue { b += " <span class=\"conf\">(\(HTMLText.text(c)))</span>" }
            b += "</h3>"
            b += "<div class=\"svgwrap\">" + d.svg(id: "path-\(i)") + "</div>"
            b += d.list()
            b += "<p class=\"explain\">\(HTMLText.text(p["explanation"]?.stringValue ?? ""))</p>"
            var ev: [String] = []
            for e in p["evidence"]?.arrayValue ?? [] {
                ev.append("<b>\(HTMLText.text(e["kind"]?.stringValue ?? "?"))</b>: \(HTMLText.text(e["detail"]?.stringValue ?? ""))")
            }
            if ev.isEmpty {
                // Older probes: the socket-level facts.
                ev.append("<b>socket</b>: \(HTMLText.text(p["reason"]?.stringValue ?? "?"))"
                    + (p["errno"]?.stringValue.map { " (\(HTMLText.text($0)))" } ?? ""))
                if let icmp = p["icmp_error"], !icmp.isNull {
                    ev.append("<b>icmp</b>: type \(icmp["type"]?.intValue ?? -1) code \(icmp["code"]?.intValue ?? -1) from \(HTMLText.text(icmp["offender"]?.stringValue ?? "?"))")
                }
                if let r = p["icmp_reachable"]?.boolValue { ev.append("<b>echo</b>: \(r ? "the address answers ping" : "no answer to ping")") }
                if let v = p["local_verdict"], !v.isNull {
                    ev.append("<b>verdict</b>: \(HTMLText.text(v["verdict"]?.stringValue ?? "?")) \(HTMLText.text(v["rule"]?.stringValue ?? ""))")
                }
            }
            b += "<ul class=\"evidence\">" + ev.map { "<li>\($0)</li>" }.joined() + "</ul>"
            let cands = p["candidates"]?.arrayValue ?? []
            if !cands.isEmpty {
                b += "<p>Possible causes, most likely first:</p><ol class=\"candidates\">"
                for c in cands {
                    b += "<li><b>\(HTMLText.text(c["cause"]?.stringValue ?? "?"))</b>: \(HTMLText.text(c["why"]?.stringValue ?? ""))"
                    if let t = c["tell_apart"]?.stringValue { b += " <i>To decide: \(HTMLText.text(t))</i>" }
                    b += "</li>"
                }
                b += "</ol>"
            }
            let rel = (p["related_findings"]?.arrayValue ?? []).compactMap(\.stringValue)
            if !rel.isEmpty { b += "<p>Related findings: " + rel.map { "<code>\(HTMLText.text($0))</code>" }.joined(separator: ", ") + "</p>" }
            b += "</article>"
        }
        return b + "</section>"
    }

    /// Target × port, each cell a symbol and a word; the legend says what each symbol means.
    static func matrix(_ probes: [JSONValue]) -> String {
        var rows: [String] = []
        var ports: [Int64] = []
        var cells: [String: [JSONValue]] = [:]
        for p in probes {
            let host = p["host"]?.stringValue ?? "?"
            let addr = p["address"]?.stringValue
            let row = addr == nil || addr == host ? host : "\(host) (\(addr!))"
            let port = p["port"]?.intValue ?? 0
            if !rows.contains(row) { rows.append(row) }
            if !ports.contains(port) { ports.append(port) }
            cells["\(row)\u{0}\(port)", default: []].append(p)
        }
        ports.sort()
        var b = "<table class=\"matrix\" id=\"matrix\"><caption>Probes: target × port</caption><thead><tr><th scope=\"col\">target</th>"
        for port in ports { b += "<th scope=\"col\">\(port)</th>" }
        b += "</tr></thead><tbody>"
        for row in rows {
            b += "<tr><th scope=\"row\">\(HTMLText.text(row))</th>"
            for port in ports {
                guard let ps = cells["\(row)\u{0}\(port)"] else {
                    b += "<td class=\"none-probed\">—</td>"
                    continue
                }
                let p = ps[0]
                let cause = p["state"]?.stringValue == "open" ? "none" : (p["cause"]?.stringValue ?? "unknown")
                b += "<td class=\"c-\(HTMLText.token(cause))\" title=\"\(HTMLText.text(p["explanation"]?.stringValue ?? ""))\">"
                b += "<span class=\"sym\">\(symbol(cause))</span> \(HTMLText.text(cause == "none" ? "open" : cause))"
                if let c = p["confidence"]?.stringValue, cause != "none", c != cause { b += " <small>(\(HTMLText.text(c)))</small>" }
                b += "</td>"
            }
            b += "</tr>"
        }
        b += "</tbody></table><ul class=\"legend\" aria-label=\"legend\">"
        for l in causeLegend { b += "<li><span class=\"sym c-\(l.cause)\">\(l.symbol)</span> \(l.cause): \(l.words)</li>" }
        return b + "</ul>"
    }

    /// SELinux, firewall backends and resolver, collapsed.
    static func factsSection(_ facts: JSONValue) -> String {
        let paths = [
            "selinux.mode", "selinux.config.mode", "selinux.policy",
            "firewall.backends", "firewall.backends_conflict", "firewall.available",
            "resolver.nameservers", "resolver.effective_nameservers", "resolver.search", "resolver.liveness.answering",
            "kernel.release",
        ]
        var rows = ""
        for path in paths {
            guard let v = facts.value(atPath: path), !v.isNull else { continue }
            let text: String
            switch v {
            case .string(let s): text = s
            case .array(let a) where a.allSatisfy { $0.stringValue != nil }: text = a.compactMap(\.stringValue).joined(separator: ", ")
            default: text = JSONWriter(pretty: false).string(v)
            }
            rows += "<tr><th scope=\"row\"><code>\(HTMLText.entities(path))</code></th><td>\(HTMLText.text(text, limit: 2000))</td></tr>"
        }
        if rows.isEmpty { rows = "<tr><td>No facts recorded.</td></tr>" }
        return "<details id=\"facts\"><summary>Facts summary (SELinux, firewall, resolver)</summary><table class=\"facts\">\(rows)</table></details>"
    }

    static func page(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta http-equiv="Content-Security-Policy" content="\(csp)">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="generator" content="hostaudit">
        <title>\(HTMLText.text(title, limit: 200))</title>
        <style>\(css)</style>
        </head><body>
        \(body)
        <footer><p>Generated by hostaudit. Host-supplied text is shown escaped: control and direction characters appear as <code>\\x1b</code>, <code>\\u{202e}</code>.</p></footer>
        </body></html>

        """
    }

    static let css = """
        :root{--fail:#b00020;--pass:#1b7f3a;--warn:#b35c00;--muted:#666;--line:#ccc}
        body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1240px;padding:16px 20px;color:#111;background:#fff}
        h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;border-bottom:2px solid #222;padding-bottom:2px;margin-top:28px}
        h3{font-size:15px;margin:18px 0 6px}h4{font-size:14px;margin:0 0 4px}
        code{font:12.5px ui-monospace,Menlo,Consolas,monospace;background:#f3f3f3;padding:0 3px;border-radius:3px;word-break:break-all}
        .meta{color:var(--muted);margin:2px 0}
        .verdict{font-size:18px;font-weight:600;padding:8px 12px;border-radius:6px;border:2px solid}
        .verdict.fail{border-color:var(--fail);color:var(--fail);background:#fdecef}.verdict.pass{border-color:var(--pass);color:var(--pass);background:#eaf6ee}
        .badge{font-weight:800;margin-right:6px}
        table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid var(--line);padding:3px 8px;text-align:left;vertical-align:top}
        .counts td{text-align:center;min-width:56px}.counts td.hot{font-weight:700}
        .sev-critical.hot,h3.sev-critical{color:#7a0015}.sev-high.hot,h3.sev-high{color:var(--fail)}.sev-medium.hot,h3.sev-medium{color:var(--warn)}
        .finding{border:1px solid var(--line);border-left:6px solid #999;border-radius:4px;padding:8px 10px;margin:8px 0;break-inside:avoid}
        .finding.sev-critical{border-left-color:#7a0015}.finding.sev-high{border-left-color:var(--fail)}.finding.sev-medium{border-left-color:var(--warn)}.finding.sev-low{border-left-color:#2a62b8}
        .tag{display:inline-block;font-size:11.5px;font-weight:700;padding:0 6px;border-radius:3px;border:1px solid;white-space:nowrap}
        .tag.fail{color:var(--fail)}.tag.error{color:var(--warn)}.tag.pass{color:var(--pass)}.tag.skip{color:var(--muted)}
        .tag.new{color:#fff;background:#6a1b9a;border-color:#6a1b9a}.tag.resolved{color:#fff;background:var(--pass);border-color:var(--pass)}
        .evidence{margin:4px 0;padding-left:20px;font-size:13px}.evidence li{word-break:break-word}
        .fix{margin:4px 0}.refs{margin:4px 0;font-size:12.5px}
        .probe{border:1px solid var(--line);border-radius:4px;padding:6px 10px;margin:10px 0;break-inside:avoid}
        .svgwrap{overflow-x:auto}
        svg.path{max-width:100%;height:auto;font:11px ui-monospace,Menlo,Consolas,monospace}
        svg.path rect{fill:#f7f7f7;stroke:#888;stroke-width:1.5}
        svg.path .hop-passed rect{fill:#eef7f0;stroke:var(--pass)}
        svg.path .hop-failed rect{fill:#fdecef;stroke:var(--fail);stroke-width:4}
        svg.path .hop-suspect rect{fill:#fff6e5;stroke:var(--warn);stroke-dasharray:6 3;stroke-width:2}
        svg.path .hop-not-reached rect{fill:#fff;stroke:#bbb;stroke-dasharray:3 3}
        svg.path .hop-not-reached text{fill:#999}
        svg.path text.h{font-weight:700;font-size:12px}svg.path text.why{fill:var(--fail);font-weight:700}svg.path text.sus{fill:var(--warn)}
        svg.path .arrow{stroke:#444;stroke-width:2;fill:none}svg.path .arrow.dead{stroke:#bbb;stroke-dasharray:4 3}
        .path-text{font-size:12.5px;margin:4px 0;padding-left:22px}.path-text .mark{display:inline-block;min-width:92px;color:var(--muted)}
        .path-text .hop-failed{color:var(--fail)}.path-text .hop-failed .mark{color:var(--fail);font-weight:700}
        .explain{background:#f6f6f6;padding:6px 8px;border-radius:4px}
        .matrix td,.matrix th{font-size:12.5px}.matrix .sym,.legend .sym{display:inline-block;min-width:1.2em;text-align:center;font-weight:700}
        .c-none{background:#e3f4e8}.c-closed-port{background:#e6eef9}.c-local-firewall{background:#f9d7dc}.c-selinux-denied{background:#f1dcf7}
        .c-no-route{background:#fbe3cc}.c-upstream-filter{background:#ffe9b8}.c-upstream-reject{background:#fff3cf}.c-host-down{background:#e5e5e5}
        .c-dns-failure{background:#dcecef}.c-unknown{background:#f4f4f4}
        .legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:4px 14px;font-size:12px}.legend .sym{border-radius:3px;padding:0 3px}
        details{margin:14px 0;border:1px solid var(--line);border-radius:4px;padding:4px 10px}summary{cursor:pointer;font-weight:600}
        .rest{list-style:none;padding-left:4px;font-size:13px}
        footer{margin-top:30px;color:var(--muted);font-size:12px;border-top:1px solid var(--line)}
        @media print{
          body{max-width:none;padding:0;font-size:11pt}
          details::details-content{content-visibility:visible;display:block}
          details>summary{list-style:none}
          .svgwrap{overflow:visible}
          .finding,.probe,table{break-inside:avoid}
          h2,h3{break-after:avoid}
          .verdict{-webkit-print-color-adjust:exact;print-color-adjust:exact}
          td,.tag,svg{-webkit-print-color-adjust:exact;print-color-adjust:exact}
        }
        """
}
