import Foundation
import HostAuditCore
import HostAuditTestSupport
import Testing

/// `--format html` from recorded reports: self-contained, escaped, and the
/// egress path marks the hop where each probe died.
@Suite struct HTMLReportTests {
    static func load(_ name: String) throws -> JSONValue {
        let data = try #require(FileManager.default.contents(atPath: Fixtures.path("reports/\(name)")))
        return try JSONValue(parsing: [UInt8](data))
    }

    @Test func labReportIsSelfContainedAndCarriesEveryFinding() throws {
        let report = try Self.load("lab-post-compromise.json")
        let html = HTMLReportRenderer.render(report: report)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">"))
        // Nothing that fetches or runs: no scripts, no external URLs in attributes.
        for bad in ["<script", "<link", "<iframe", "src=\"http", "href=\"http", "@import", "url("] {
            #expect(!html.contains(bad), "\(bad)")
        }
        // Verdict first: before the egress story and the findings.
        let verdict = try #require(html.range(of: "id=\"verdict\""))
        let egress = try #require(html.range(of: "id=\"egress\""))
        let findings = try #require(html.range(of: "id=\"findings\""))
        #expect(verdict.lowerBound < egress.lowerBound && egress.lowerBound < findings.lowerBound)
        #expect(html.contains("✗ FAIL</span> 2 failures at or above high"))
        for f in report["findings"]?.arrayValue ?? [] {
            #expect(html.contains("id=\"\(HTMLReportRenderer.findingID(f))\""), "\(f)")
        }
        // New and resolved marks from `changes`.
        #expect(html.contains("<span class=\"tag new\">NEW</span> <code>miners/miner-process</code>"))
        #expect(html.contains("RESOLVED</span> high <code>baseline/ssh-root-login</code>"))
        #expect(html.contains("@media print"))
    }

    /// The seed case: the provider drops port 80 of a host that mines; the
    /// upstream hop is the failing one, the local chains passed.
    @Test func upstreamBlockMarksTheUpstreamHop() throws {
        let report = try Self.load("lab-post-compromise.json")
        let probes = report["egress"]?.arrayValue ?? []
        let upstream = try #require(probes.first { $0["target"]?.stringValue == "10.66.2.2:80" })
        let d = EgressPathDiagram(probe: upstream, hostname: "lab-client")
        #expect(d.failingStage?.key == "upstream")
        #expect(d.stages.first { $0.key == "local" }?.status == .passed)
        #expect(d.stages.first { $0.key == "target" }?.status == .notReached)
        let svg = d.svg(id: "p")
        #expect(svg.contains("data-hop=\"upstream\" data-status=\"failed\""))
        #expect(svg.contains("BLOCKED HERE"))
        #expect(svg.contains("upstream-filter (likely)"))

        let local = try #require(probes.first { $0["target"]?.stringValue == "10.66.2.2:87" })
        let l = EgressPathDiagram(probe: local, hostname: nil)
        #expect(l.failingStage?.key == "local")
        #expect(l.failingStage?.lines.contains { $0.contains("local egress drop") } == true)

        let dns = try #require(probes.first { $0["target"]?.stringValue == "mirror.lab.example:80" })
        #expect(EgressPathDiagram(probe: dns, hostname: nil).failingStage?.key == "resolver")
    }

    /// Cause unknown: no stage is marked failed; the candidates' stages are suspects.
    @Test func unknownCauseMarksSuspectsNotAFailure() throws {
        let report = try Self.load("lab-post-compromise.json")
        let p = try #require(report["egress"]?.arrayValue?.first { $0["target"]?.stringValue == "10.66.3.3:80" })
        let d = EgressPathDiagram(probe: p, hostname: nil)
        #expect(d.failingStage == nil)
        #expect(Set(d.stages.filter { $0.status == .suspect }.map(\.key)) == ["upstream", "target"])
        #expect(!d.svg(id: "x").contains("data-status=\"failed\""))
    }

    /// With `hops` and `blocked_at`, the diagram is drawn per hop and the blocking hop fails.
    @Test func hopsDrawOneStagePerHop() throws {
        let p: JSONValue = [
            "target": "192.0.2.9:443", "host": "192.0.2.9", "address": "192.0.2.9", "port": 443, "protocol": "tcp",
            "state": "filtered", "reason": "admin-prohibited", "cause": "upstream-reject", "confidence": "proven",
            "blocked_at": ["hop": 2, "address": "198.51.100.1", "where": "network", "confidence": "proven"],
            "hops": [
                ["ttl": 1, "address": "10.0.0.1", "rtt_ms": 0.4, "passed": true],
                ["ttl": 2, "address": "198.51.100.1", "rtt_ms": 3.1, "passed": false],
            ],
        ]
        let d = EgressPathDiagram(probe: p, hostname: nil)
        #expect(d.stages.map(\.key) == ["process", "local", "route", "hop-1", "hop-2", "target"])
        #expect(d.failingStage?.key == "hop-2")
        #expect(d.stages.first { $0.key == "hop-1" }?.status == .passed)
        #expect(d.stages.first { $0.key == "target" }?.status == .notReached)
    }

    /// `blocked_at` with confidence `unknown` (the flow reaches the hop, how far
    /// beyond is hidden): the hop is marked, but as "here or after", never as
    /// the place.
    @Test func unlocatedBlockSaysHereOrAfter() throws {
        let p: JSONValue = [
            "target": "10.66.2.2:80", "host": "10.66.2.2", "address": "10.66.2.2", "port": 80, "protocol": "tcp",
            "state": "filtered", "reason": "no-response", "cause": "upstream-filter", "confidence": "proven",
            "blocked_at": ["hop": 1, "address": "10.66.1.1", "where": nil, "confidence": "unknown", "before_hop": nil],
            "hops": [["ttl": 1, "address": "10.66.1.1", "rtt_ms": 0.8, "passed": nil]],
        ]
        let d = EgressPathDiagram(probe: p, hostname: nil)
        let hop = try #require(d.failingStage)
        #expect(hop.key == "hop-1" && !hop.located)
        #expect(hop.title == "hop 1 or after")
        #expect(hop.lines.contains("where after it: unknown"))
        let svg = d.svg(id: "x")
        #expect(svg.contains("✗ BLOCKED HERE OR AFTER"))
        #expect(!svg.contains("BLOCKED HERE<"))
        #expect(d.list().contains("blocked here or after: upstream-filter (proven): no-response"))
        // A located block keeps the plain mark.
        var located = p
        if case .object(var o) = located, case .object(var b)? = o["blocked_at"] {
            b["confidence"] = "likely"
            o["blocked_at"] = .object(b)
            located = .object(o)
        }
        let l = EgressPathDiagram(probe: located, hostname: nil)
        #expect(l.failingStage?.located == true)
        #expect(l.svg(id: "y").contains("✗ BLOCKED HERE</text>"))
    }

    /// A process item's command line is shown (quoted where an argument has
    /// spaces or quotes) and escaped like every host string.
    @Test func processEvidenceShowsTheCommandLine() throws {
        let f: JSONValue = [
            "rule": "miner-process", "policy": "miners", "title": "t", "severity": "critical", "status": "fail",
            "evidence": [
                [
                    "kind": "process", "pid": 7, "comm": "x", "detail": "satisfies: …",
                    "value": ["cmdline": ["args": ["x", "-c", "a b", "<b>", "-o", "stratum+tcp://10.66.2.2:3333"], "truncated": false]],
                ]
            ],
        ]
        let html = HTMLReportRenderer.render(report: ["schema": "hostaudit.report/v1", "findings": [f]])
        #expect(html.contains("command line: <code>x -c &#39;a b&#39; &lt;b&gt; -o stratum+tcp://10.66.2.2:3333</code>"), "\(html)")
        #expect(!html.contains("<b> -o"))
    }

    @Test func hostileStringsAreTextOnly() throws {
        let report = try Self.load("hostile-names.json")
        let html = HTMLReportRenderer.render(report: report)
        // The only markup is ours: the hostile tags appear escaped.
        #expect(!html.contains("<script"))
        #expect(!html.contains("<img"))
        #expect(!html.contains("<b>x</b>"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        // No raw control or direction characters; they are shown as escapes.
        #expect(!html.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 || $0.value == 0x202E })
        #expect(html.contains("\\x1b[2J"))
        #expect(html.contains("evil\\u{202e}gnp.exe"))
        // A quote cannot leave an attribute.
        #expect(!html.contains("\" onmouseover=\""))
        #expect(html.contains("&quot; onmouseover=&quot;alert(3)&#39;"))
        // References are text, never links.
        #expect(!html.contains("href="))
        // Overlong host strings are cut.
        #expect(HTMLText.text(String(repeating: "a", count: 10_000)).hasSuffix("… (5904 more characters)"))
    }

    @Test func egressDocumentRenders() throws {
        let report = try Self.load("lab-post-compromise.json")
        let doc: JSONValue = ["schema": "hostaudit.egress/v1", "probes": report["egress"]!, "dns": [], "problems": []]
        let html = HTMLReportRenderer.render(egress: doc, hostname: "lab-client")
        #expect(html.contains("4 of 5 probes not open"))
        // The matrix: one row per target address, a symbol and the cause's word in each cell.
        #expect(html.contains("<td class=\"c-local-firewall\""))
        #expect(html.contains("<span class=\"sym\">▲</span> upstream-filter"))
        #expect(html.contains("<span class=\"sym\">✓</span> open"))
        #expect(html.contains("class=\"legend\""))
    }

    @Test func mergeCountsHostsAndRules() throws {
        let lab = try #require(FileManager.default.contents(atPath: Fixtures.path("reports/lab-post-compromise.json")))
        let hostile = try #require(FileManager.default.contents(atPath: Fixtures.path("reports/hostile-names.json")))
        var m = ReportMerge()
        m.add(file: "a/lab.json", bytes: [UInt8](lab))
        m.add(file: "b/hostile.json", bytes: [UInt8](hostile))
        m.add(file: "c/other.json", bytes: Array("{\"schema\":\"hostaudit.facts/v1\"}".utf8))
        #expect(m.hosts.count == 2)
        #expect(m.problems == ["c/other.json: not a hostaudit.report/v1 document"])
        let rules = m.rules
        #expect(rules.first?.key == "miners/miner-process")
        #expect(rules.first?.hosts.count == 2)
        #expect(rules.map(\.key).sorted() == ["baseline/resolver-nameserver-answering", "baseline/selinux-enforcing", "miners/miner-process"])
        #expect(m.anyFailed)
        let text = m.text()
        #expect(text.contains("2 hosts, 2 failing"))
        #expect(text.contains("miners/miner-process  2/2 hosts"))
        let html = m.html()
        #expect(!html.contains("<script"))
        #expect(m.json()["rules"]?[0]?["count"]?.intValue == 2)
    }
}
