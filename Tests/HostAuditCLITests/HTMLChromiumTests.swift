import Foundation
import HostAuditTestSupport
import Testing

/// The HTML report in a real browser: Debian's headless Chromium renders the
/// post-compromise lab report (miner, upstream block, local drop, dead name
/// server), both as recorded and as a live lab run writes it, and a report
/// full of hostile names. Chromium's own
/// network log must show no request besides the file itself, the DOM must
/// hold every finding id and no element the host's strings tried to inject,
/// and the seed case's SVG must mark the upstream hop as the failing one.
/// Screenshots (1280×800) and a print-to-PDF are kept under
/// `.build/test-artifacts/html/` (not committed).
@Suite(.requiresTools("chromium"), .serialized)
struct HTMLChromiumTests {
    static let artifacts = Fixtures.packageRoot + "/.build/test-artifacts/html"

    struct Browser {
        let path: String
        let profile: String

        /// As root, Chromium runs in a network namespace of its own with no
        /// interface up (`unshare --net`), so nothing it tries can leave this
        /// machine; every name resolves to nothing in any case.
        func run(_ args: [String], url: String) throws -> CommandResult {
            try CommandRunner.run(
                (Privileged.isRoot ? ["unshare", "--net"] : []) + [
                    path, "--headless=new", "--host-resolver-rules=MAP * ~NOTFOUND", "--no-pings",
                    "--disable-domain-reliability", "--disable-client-side-phishing-detection", "--disable-default-apps", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
                    "--disable-extensions", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--user-data-dir=\(profile)", "--hide-scrollbars", "--window-size=1280,800",
                    "--enable-logging=stderr", "--v=0",
                ] + args + [url], timeout: 120)
        }
    }

    static func render(_ fixture: String, to html: String) throws {
        let r = try HostAuditCLI.run(["report", "render", Fixtures.path("reports/\(fixture)"), "--output", html])
        try #require(r.status == 0, "\(r)")
    }

    /// Loads the page once with a network log; returns the DOM and every URL Chromium touched.
    static func load(_ b: Browser, _ html: String, netlog: String) throws -> (dom: String, urls: [String], stderr: String) {
        let r = try b.run(["--dump-dom", "--log-net-log=\(netlog)", "--net-log-capture-mode=Default"], url: "file://" + html)
        try #require(r.status == 0, "\(r.stderr.suffix(2000))")
        let log = (try? String(contentsOfFile: netlog, encoding: .utf8)) ?? ""
        // Every "url" the network stack saw, except the page itself and
        // Chromium's own background services (updates, clock, dictionaries),
        // which no page of ours names.
        var urls: [String] = []
        let pattern = try NSRegularExpression(pattern: "\"url\":\"([^\"]{0,500})\"")
        for m in pattern.matches(in: log, range: NSRange(log.startIndex..., in: log)) {
            guard let range = Range(m.range(at: 1), in: log) else { continue }
            let url = String(log[range])
            let host = URL(string: url)?.host ?? ""
            if url == "file://" + html || browserServices.contains(host) || host.hasSuffix(".gvt1.com") { continue }
            urls.append(url)
        }
        return (r.stdout, urls, r.stderr)
    }

    static let browserServices: Set<String> = [
        "clients2.google.com", "update.googleapis.com", "accounts.google.com", "redirector.gvt1.com",
        "optimizationguide-pa.googleapis.com", "safebrowsing.googleapis.com", "content-autofill.googleapis.com",
    ]

    /// The attribute names of every start tag in serialized HTML (quoted values skipped).
    static func attributeNames(_ dom: String) throws -> [String] {
        let tag = try NSRegularExpression(
            pattern: "<[a-zA-Z][a-zA-Z0-9-]*((?:\\s+[^\\s\"'>/=]+(?:\\s*=\\s*(?:\"[^\"]*\"|'[^']*'|[^\\s\"'>]+))?)*)\\s*/?>")
        let attr = try NSRegularExpression(pattern: "\\s+([^\\s\"'>/=]+)(?:\\s*=\\s*(?:\"[^\"]*\"|'[^']*'|[^\\s\"'>]+))?")
        var names: [String] = []
        for m in tag.matches(in: dom, range: NSRange(dom.startIndex..., in: dom)) {
            guard let r = Range(m.range(at: 1), in: dom) else { continue }
            let attrs = String(dom[r])
            for a in attr.matches(in: attrs, range: NSRange(attrs.startIndex..., in: attrs)) {
                if let ar = Range(a.range(at: 1), in: attrs) { names.append(attrs[ar].lowercased()) }
            }
        }
        return names
    }

    static func browser() throws -> Browser {
        let path = try ExternalTools.find("chromium") ?? ExternalTools.require("chromium-browser", package: "chromium")
        let profile = try Fixtures.temporaryDirectory("ha-chromium")
        return Browser(path: path, profile: profile)
    }

    /// The checks every post-compromise lab page must pass in the browser:
    /// nothing fetched, no console error, every finding id of `report` in
    /// the DOM, and the seed probe's SVG marks the failing hop. Returns the DOM.
    @discardableResult
    static func checkLabPage(_ b: Browser, html: String, report: [String: Any], name: String) throws -> String {
        let (dom, urls, stderr) = try Self.load(b, html, netlog: Self.artifacts + "/\(name)-netlog.json")
        #expect(urls.allSatisfy { $0.hasPrefix("file://") || $0.hasPrefix("data:") }, "network requests: \(urls)")
        #expect(!stderr.contains("Refused to"), "CSP blocked something: \(stderr.suffix(2000))")
        #expect(!stderr.contains("Uncaught"), "\(stderr.suffix(2000))")
        #expect(!stderr.contains(":CONSOLE("), "console output: \(stderr.suffix(2000))")

        // Every finding id of the report is in the DOM.
        let findings = report["findings"] as? [[String: Any]] ?? []
        #expect(!findings.isEmpty)
        for f in findings {
            let id = "finding-\(f["policy"] as? String ?? "?")--\(f["rule"] as? String ?? "?")"
            #expect(dom.contains("id=\"\(id)\""), "\(id) missing from the DOM")
        }
        // The seed case: the probe to 10.66.2.2:80 died beyond this host, and its SVG says where:
        // exactly one failed stage, a network one (the upstream stage, or a traced hop), marked BLOCKED HERE,
        // with this host's own stages passed.
        let article = try #require(dom.range(of: "data-target=\"10.66.2.2:80\""), "no article for the seed probe")
        let rest = dom[article.upperBound...]
        let svgEnd = try #require(rest.range(of: "</svg>"))
        let svg = String(rest[..<svgEnd.upperBound])
        let failed = Self.failedStages(svg)
        #expect(failed.count == 1, "the seed SVG must mark one failing hop: \(failed)")
        #expect(failed.allSatisfy { $0.hop == "upstream" || $0.hop.hasPrefix("hop-") }, "\(failed)")
        #expect(failed.allSatisfy { $0.body.contains("BLOCKED HERE") }, "\(failed)")
        #expect(svg.contains("data-hop=\"local\" data-status=\"passed\""))
        #expect(dom.contains("data-hop=\"local\" data-status=\"failed\""))
        #expect(dom.contains("data-hop=\"resolver\" data-status=\"failed\""))

        // Artifacts: a 1280×800 screenshot and a PDF print.
        let png = Self.artifacts + "/\(name).png"
        let pdf = Self.artifacts + "/\(name).pdf"
        try? FileManager.default.removeItem(atPath: png)
        try? FileManager.default.removeItem(atPath: pdf)
        _ = try b.run(["--screenshot=\(png)"], url: "file://" + html)
        _ = try b.run(["--print-to-pdf=\(pdf)", "--no-pdf-header-footer"], url: "file://" + html)
        let pngBytes = try #require(FileManager.default.contents(atPath: png), "no screenshot")
        #expect(pngBytes.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        // IHDR: width and height, big-endian, at bytes 16...23.
        let w = pngBytes[16..<20].reduce(0) { $0 << 8 | Int($1) }, h = pngBytes[20..<24].reduce(0) { $0 << 8 | Int($1) }
        #expect(w == 1280 && h == 800, "\(w)×\(h)")
        let pdfBytes = try #require(FileManager.default.contents(atPath: pdf), "no PDF")
        #expect(pdfBytes.prefix(5) == Data("%PDF-".utf8))
        #expect(pdfBytes.count > 10_000)
        return dom
    }

    /// The `data-hop` and the markup of every `<g … data-status="failed">` in an SVG.
    static func failedStages(_ svg: String) -> [(hop: String, body: String)] {
        var out: [(String, String)] = []
        var rest = Substring(svg)
        while let g = rest.range(of: "<g class=\"hop hop-failed\"") {
            let after = rest[g.lowerBound...]
            let end = after.range(of: "</g>")?.upperBound ?? after.endIndex
            let body = String(after[..<end])
            var hop = "?"
            if let h = body.range(of: "data-hop=\""), let q = body[h.upperBound...].firstIndex(of: "\"") {
                hop = String(body[h.upperBound..<q])
            }
            out.append((hop, body))
            rest = after[end...]
        }
        return out
    }

    /// The recorded lab report, rendered by `report render`.
    @Test func labReportRendersWithoutFetchingAndShowsTheFailingHop() throws {
        let b = try Self.browser()
        defer { try? FileManager.default.removeItem(atPath: b.profile) }
        try FileManager.default.createDirectory(atPath: Self.artifacts, withIntermediateDirectories: true)
        let html = Self.artifacts + "/lab-post-compromise.html"
        try Self.render("lab-post-compromise.json", to: html)
        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Fixtures.path("reports/lab-post-compromise.json"))))
                as? [String: Any])
        try Self.checkLabPage(b, html: html, report: report, name: "lab-post-compromise")
    }

    /// The lab itself: the namespace lab with a miner-like process, a port the
    /// provider drops, one a local rule drops and a dead name server;
    /// `audit --format html` runs inside the lab's client namespace (its
    /// probes never leave the lab), and the page it writes goes through the
    /// same browser checks. The finding ids come from a `--format json` run
    /// of the same audit in the same lab.
    @Test(.privileged) func liveLabReportRendersWithoutFetchingAndShowsTheFailingHop() throws {
        let b = try Self.browser()
        defer { try? FileManager.default.removeItem(atPath: b.profile) }
        try FileManager.default.createDirectory(atPath: Self.artifacts, withIntermediateDirectories: true)
        let html = Self.artifacts + "/lab-live.html"
        try? FileManager.default.removeItem(atPath: html)
        let report: [String: Any] = try EgressLab.with { lab in try lab.withAuditStory {
            let args = EgressLab.auditStoryArguments
            let r = try lab.hostaudit(args + ["--format", "html", "--output", html])
            #expect(r.status == 1, "\(r)")
            let j = try lab.hostaudit(args + ["--format", "json"])
            #expect(j.status == 1, "\(j)")
            try? j.stdout.write(toFile: Self.artifacts + "/lab-live.json", atomically: true, encoding: .utf8)
            return try #require(try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as? [String: Any], "\(j)")
        } }
        // The lab run found what the story needs: the miner, and the three probes' causes.
        let findings = report["findings"] as? [[String: Any]] ?? []
        #expect(findings.first { $0["rule"] as? String == "miner-process" }?["status"] as? String == "fail")
        let causes = Dictionary(
            (report["egress"] as? [[String: Any]] ?? []).map { ($0["target"] as? String ?? "?", $0["cause"] as? String ?? "?") },
            uniquingKeysWith: { a, _ in a })
        #expect(causes["10.66.2.2:80"] == "upstream-filter", "\(causes)")
        #expect(causes["10.66.2.2:87"] == "local-firewall", "\(causes)")
        #expect(causes["mirror.lab.example:80"] == "dns-failure", "\(causes)")

        let dom = try Self.checkLabPage(b, html: html, report: report, name: "lab-live")
        // The miner's command line (the evidence a reader needs) is on the page, as text.
        #expect(dom.contains("command line: <code>kworkerds -c 'while :; do sleep 1; done' -o stratum+tcp://10.66.2.2:3333 --donate-level 1</code>"))
        // When the probe was traced, the hop marked is the lab's provider (the router drops the flow).
        if let a = dom.range(of: "data-target=\"10.66.2.2:80\""), let e = dom[a.upperBound...].range(of: "</svg>") {
            for f in Self.failedStages(String(dom[a.upperBound..<e.upperBound])) where f.hop.hasPrefix("hop-") {
                #expect(f.body.contains(EgressLab.routerClientV4), "\(f.body)")
            }
        }
    }

    @Test func hostileNamesStayText() throws {
        let b = try Self.browser()
        defer { try? FileManager.default.removeItem(atPath: b.profile) }
        try FileManager.default.createDirectory(atPath: Self.artifacts, withIntermediateDirectories: true)
        let html = Self.artifacts + "/hostile-names.html"
        try Self.render("hostile-names.json", to: html)
        let (dom, urls, stderr) = try Self.load(b, html, netlog: Self.artifacts + "/hostile-netlog.json")
        // The page tried to load nothing (an injected <img src=x> would be a request).
        #expect(urls.allSatisfy { $0.hasPrefix("file://") || $0.hasPrefix("data:") }, "network requests: \(urls)")
        #expect(!stderr.contains("Refused to"), "\(stderr.suffix(2000))")
        // No element the host's strings tried to inject exists in the DOM; the strings are text.
        #expect(!dom.contains("<script"))
        #expect(!dom.contains("<img"))
        // No event-handler or source attribute on any element: the host's quotes never left their attribute.
        let names = try Self.attributeNames(dom)
        #expect(names.contains("data-finding"), "the attribute scan found nothing")
        #expect(!names.contains { $0.hasPrefix("on") || $0 == "src" || $0 == "href" }, "\(Set(names))")
        #expect(!dom.contains("<a "))
        #expect(dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(dom.contains("evil\\u{202e}gnp.exe"))
        #expect(!dom.unicodeScalars.contains { $0.value == 0x202E || $0.value == 0x1B })
        for id in ["finding-miners--miner-process", "finding-baseline--hostile-rule"] {
            #expect(dom.contains("id=\"\(id)\""), "\(id)")
        }
        _ = try b.run(["--screenshot=\(Self.artifacts)/hostile-names.png"], url: "file://" + html)
        #expect(FileManager.default.fileExists(atPath: Self.artifacts + "/hostile-names.png"))
    }
}
