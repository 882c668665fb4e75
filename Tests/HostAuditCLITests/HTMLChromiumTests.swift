import Foundation
import HostAuditTestSupport
import Testing

/// The HTML report in a real browser: Debian's headless Chromium renders the
/// recorded post-compromise lab report (miner, upstream block, local drop,
/// dead name server) and a report full of hostile names. Chromium's own
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

    @Test func labReportRendersWithoutFetchingAndShowsTheFailingHop() throws {
        let b = try Self.browser()
        defer { try? FileManager.default.removeItem(atPath: b.profile) }
        try FileManager.default.createDirectory(atPath: Self.artifacts, withIntermediateDirectories: true)
        let html = Self.artifacts + "/lab-post-compromise.html"
        try Self.render("lab-post-compromise.json", to: html)

        let (dom, urls, stderr) = try Self.load(b, html, netlog: Self.artifacts + "/lab-netlog.json")
        #expect(urls.allSatisfy { $0.hasPrefix("file://") || $0.hasPrefix("data:") }, "network requests: \(urls)")
        #expect(!stderr.contains("Refused to"), "CSP blocked something: \(stderr.suffix(2000))")
        #expect(!stderr.contains("Uncaught"), "\(stderr.suffix(2000))")

        // Every finding id of the report is in the DOM.
        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Fixtures.path("reports/lab-post-compromise.json"))))
                as? [String: Any])
        for f in report["findings"] as? [[String: Any]] ?? [] {
            let id = "finding-\(f["policy"] as! String)--\(f["rule"] as! String)"
            #expect(dom.contains("id=\"\(id)\""), "\(id) missing from the DOM")
        }
        // The seed case: the probe to 10.66.2.2:80 died upstream, and its SVG says so.
        let article = try #require(dom.range(of: "data-target=\"10.66.2.2:80\""), "no article for the seed probe")
        let rest = dom[article.upperBound...]
        let svgEnd = try #require(rest.range(of: "</svg>"))
        let svg = rest[..<svgEnd.upperBound]
        #expect(svg.contains("data-hop=\"upstream\" data-status=\"failed\""), "the seed SVG lacks the failing hop")
        #expect(svg.contains("BLOCKED HERE"))
        #expect(dom.contains("data-hop=\"local\" data-status=\"failed\""))
        #expect(dom.contains("data-hop=\"resolver\" data-status=\"failed\""))

        // Artifacts: a 1280×800 screenshot and a PDF print.
        let png = Self.artifacts + "/lab-post-compromise.png"
        let pdf = Self.artifacts + "/lab-post-compromise.pdf"
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
