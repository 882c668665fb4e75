import Foundation
import HostAuditCore
import HostAuditTestSupport
import Testing

/// `--format jsonl|html`, `report merge|render`, and the Prometheus textfile
/// and alert rules checked by Prometheus' own `promtool`.
@Suite struct ReportFormatsCLITests {
    static func json(_ s: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(s.utf8)) as? [String: Any])
    }

    @Test func jsonlIsOneFindingPerLineWithHostAndRunID() throws {
        let report = try Self.json(try AuditCLITests.audit(["--format", "json"]).stdout)
        let findings = try #require(report["findings"] as? [[String: Any]])
        let r = try AuditCLITests.audit(["--format", "jsonl"])
        #expect(r.status == 1, "\(r)")
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(r.stdout.hasSuffix("\n"))
        #expect(lines.count == findings.count)
        var runIDs = Set<String>()
        var rules: [String] = []
        for line in lines {
            let o = try Self.json(String(line))
            #expect(o["schema"] as? String == "hostaudit.finding/v1")
            #expect(String(line).hasPrefix("{\"schema\":\"hostaudit.finding/v1\""))
            #expect((o["host"] as? [String: Any]).map { Set($0.keys) } == ["hostname", "kernel", "started_at", "duration_ms"])
            #expect(o["kind"] as? String == "finding")
            runIDs.insert(try #require(o["run_id"] as? String))
            rules.append(try #require(o["rule"] as? String))
            #expect(o["severity"] != nil && o["status"] != nil && o["evidence"] != nil)
        }
        #expect(runIDs.count == 1)
        #expect(rules.sorted() == findings.compactMap { $0["rule"] as? String }.sorted())
        // Another run, another id.
        let again = try AuditCLITests.audit(["--format", "jsonl"])
        let other = try Self.json(String(again.stdout.split(separator: "\n")[0]))["run_id"] as? String
        #expect(other != nil && !runIDs.contains(other!))
    }

    @Test func jsonlEgressLinesFollowTheFindings() throws {
        let finding = Finding(rule: "r1", policy: "p", title: "t\n<x>", severity: .high, status: .fail)
        let target = EgressTarget(text: "m.example:80", host: "m.example", hostKind: .name, port: 80)
        let probe = EgressProbeResult(
            target: target, address: "192.0.2.1", state: .filtered, reason: .noResponse, elapsedMs: 1, synRetransmits: 1,
            icmpEcho: ICMPEchoResult(reachable: true, method: "icmp"), localVerdict: nil, cause: .upstreamFilter,
            explanation: "e", evidence: nil)
        let report = AuditReport(
            host: AuditHost(hostname: "h", kernel: "k", startedAt: Date(timeIntervalSince1970: 0), durationMs: 1), profile: nil,
            findings: [finding], egress: [probe])
        let out = AuditJSONLinesRenderer.render(report, runID: "run-1")
        let lines = out.split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        let f = try Self.json(lines[0]), e = try Self.json(lines[1])
        #expect(f["kind"] as? String == "finding" && f["title"] as? String == "t\n<x>")
        #expect(e["kind"] as? String == "egress" && e["run_id"] as? String == "run-1")
        #expect((e["host"] as? [String: Any])?["hostname"] as? String == "h")
        #expect(e["target_host"] as? String == "m.example" && e["cause"] as? String == "upstream-filter")
    }

    @Test func htmlFromAuditHasEveryFindingAndNoFetches() throws {
        let report = try Self.json(try AuditCLITests.audit(["--format", "json"]).stdout)
        let r = try AuditCLITests.audit(["--format", "html"])
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("<!DOCTYPE html>"))
        #expect(r.stdout.contains("Content-Security-Policy"))
        #expect(!r.stdout.contains("<script"))
        for f in report["findings"] as? [[String: Any]] ?? [] {
            let id = "finding-\(f["policy"] as! String)--\(f["rule"] as! String)"
            #expect(r.stdout.contains("id=\"\(id)\""), "\(id)")
        }
        // The facts summary is there, collapsed.
        #expect(r.stdout.contains("<details id=\"facts\">"))
    }

    /// `egress --format html` on a closed loopback port: the target stage fails (the host answered with a reset).
    @Test func egressHTMLMarksTheClosedPort() throws {
        let r = try HostAuditCLI.run(["egress", "127.0.0.1:9", "--timeout", "1", "--format", "html"])
        #expect(r.status == 1, "\(r)")
        #expect(r.stdout.hasPrefix("<!DOCTYPE html>"))
        #expect(r.stdout.contains("1 of 1 probe not open"))
        #expect(r.stdout.contains("data-cause=\"closed-port\""))
        #expect(r.stdout.contains("data-hop=\"target\" data-status=\"failed\""))
    }

    static func tempReports() throws -> String {
        let dir = try Fixtures.temporaryDirectory("ha-merge")
        let fm = FileManager.default
        try fm.createDirectory(atPath: dir + "/lab-client", withIntermediateDirectories: true)
        try fm.copyItem(atPath: Fixtures.path("reports/lab-post-compromise.json"), toPath: dir + "/lab-client/report.json")
        try fm.copyItem(atPath: Fixtures.path("reports/hostile-names.json"), toPath: dir + "/hostile.json")
        try "not json".write(toFile: dir + "/broken.json", atomically: true, encoding: .utf8)
        try "ignored".write(toFile: dir + "/notes.txt", atomically: true, encoding: .utf8)
        return dir
    }

    @Test func reportMergeSumsHostsByFailingRule() throws {
        let dir = try Self.tempReports()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let j = try HostAuditCLI.run(["report", "merge", dir, "--format", "json"])
        #expect(j.status == 1, "\(j)")
        let doc = try Self.json(j.stdout)
        #expect(doc["schema"] as? String == "hostaudit.merge/v1")
        let hosts = try #require(doc["hosts"] as? [[String: Any]])
        #expect(hosts.count == 2)
        let rules = try #require(doc["rules"] as? [[String: Any]])
        #expect(rules.first?["rule"] as? String == "miners/miner-process")
        #expect(rules.first?["count"] as? Int == 2)
        #expect(rules.count == 3)
        #expect((doc["problems"] as? [String])?.count == 1)
        let lab = try #require(hosts.first { $0["host"] as? String == "lab-client" })
        #expect((lab["failed_by_severity"] as? [String: Int]) == ["critical": 1, "high": 1, "medium": 1, "low": 0, "info": 0])
        #expect(lab["egress_blocked"] as? Int == 4)

        let t = try HostAuditCLI.run(["report", "merge", dir])
        #expect(t.stdout.contains("2 hosts, 2 failing"))
        #expect(!t.stdout.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x202E })
        let h = try HostAuditCLI.run(["report", "merge", dir, "--format", "html"])
        #expect(h.stdout.contains("id=\"fleet\"") && !h.stdout.contains("<script"))

        let empty = try Fixtures.temporaryDirectory("ha-merge-empty")
        defer { try? FileManager.default.removeItem(atPath: empty) }
        #expect(try HostAuditCLI.run(["report", "merge", empty]).status == 3)
    }

    /// `report diff OLD NEW`: exit 0 same in substance, 1 different, 3 unreadable; `-N` takes a missing OLD as empty.
    @Test func reportDiffSaysWhetherTheResultChanged() throws {
        let dir = try Fixtures.temporaryDirectory("ha-diff")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let lab = Fixtures.path("reports/lab-post-compromise.json")
        // The same run recorded again later: other times, same outcomes.
        var text = try String(contentsOfFile: lab, encoding: .utf8)
        text = text.replacingOccurrences(of: "2026-12-02T18:00:00.000Z", with: "2026-12-02T19:00:00.000Z")
        try text.write(toFile: dir + "/later.json", atomically: true, encoding: .utf8)
        let same = try HostAuditCLI.run(["report", "diff", lab, dir + "/later.json"])
        #expect(same.status == 0, "\(same)")
        #expect(same.stdout == "hostaudit report diff: the same in substance\n")

        let other = try HostAuditCLI.run(["report", "diff", lab, Fixtures.path("reports/hostile-names.json"), "--format", "json"])
        #expect(other.status == 1, "\(other)")
        let doc = try Self.json(other.stdout)
        #expect(doc["schema"] as? String == "hostaudit.diff/v1")
        #expect(doc["same"] as? Bool == false)
        #expect(try HostAuditCLI.run(["report", "diff", "--quiet", lab, Fixtures.path("reports/hostile-names.json")]).stdout.isEmpty)

        let missing = dir + "/never-written.json"
        #expect(try HostAuditCLI.run(["report", "diff", missing, lab]).status == 3)
        let fresh = try HostAuditCLI.run(["report", "diff", "--new-file", missing, lab])
        #expect(fresh.status == 1, "\(fresh)")
        #expect(fresh.stdout.contains("finding miners/miner-process: (absent) -> critical fail"), "\(fresh.stdout)")
        // Not a report at all.
        #expect(try HostAuditCLI.run(["report", "diff", lab, Fixtures.path("audit-golden/ldpreload.prom")]).status == 3)
    }

    @Test func reportRenderTurnsJSONIntoHTML() throws {
        let r = try HostAuditCLI.run(["report", "render", Fixtures.path("reports/lab-post-compromise.json")])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout.contains("data-hop=\"upstream\" data-status=\"failed\""))
        let bad = try HostAuditCLI.run(["report", "render", Fixtures.path("audit-golden/ldpreload.prom")])
        #expect(bad.status == 3)
    }

    /// Host-controlled target names never become unbounded labels.
    @Test func prometheusBoundsHostLabels() throws {
        var probes: [EgressProbeResult] = []
        for i in 0..<100 {
            let host = "m\(i)." + String(repeating: "a", count: 300) + "\u{1b}[31m\"x\"\n.example"
            let t = EgressTarget(
                text: "\(host):80", host: host, hostKind: .name, port: 80,
                origins: [EgressTarget.Origin(path: "/etc/apt/sources.list", line: i + 1)])
            probes.append(
                EgressProbeResult(
                    target: t, address: nil, state: .error, reason: .dnsFailure, elapsedMs: 1, synRetransmits: nil,
                    icmpEcho: .notTested("no address"), localVerdict: nil, cause: .dnsFailure, explanation: "",
                    evidence: nil))
        }
        let report = AuditReport(
            host: AuditHost(hostname: "h", kernel: nil, startedAt: Date(), durationMs: 1), profile: nil, findings: [], egress: probes)
        let text = AuditPrometheusRenderer.render(report, now: Date(timeIntervalSince1970: 1))
        let series = text.split(separator: "\n").filter { $0.hasPrefix("hostaudit_egress_open{") }
        #expect(series.count == AuditPrometheusRenderer.maxTargets)
        #expect(text.contains("hostaudit_egress_targets_omitted 36\n"))
        #expect(text.contains("hostaudit_egress_package_sources 100\n"))
        #expect(text.contains("hostaudit_egress_package_sources_blocked 100\n"))
        #expect(!text.unicodeScalars.contains { $0.value == 0x1B })
        for s in series { #expect(s.count < 200, "\(s)") }
        if let promtool = ExternalTools.find("promtool") {
            let r = try CommandRunner.run([promtool, "check", "metrics"], stdin: text)
            #expect(r.status == 0, "\(r)")
        }
    }

    static let scripts = Fixtures.packageRoot + "/Scripts/prometheus"

    /// Every textfile fixture passes `promtool check metrics` (Prometheus' own linter).
    @Test(.requiresTools("promtool")) func textfileFixturesPassPromtool() throws {
        let promtool = try ExternalTools.require("promtool", package: "prometheus")
        var files = [Fixtures.path("audit-golden/ldpreload.prom")]
        let dir = try Fixtures.temporaryDirectory("ha-prom")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let state = dir + "/state.json"
        // A live rendering too, with --state (the new-finding series appears).
        _ = try AuditCLITests.audit(["--format", "prometheus", "--output", dir + "/a.prom", "--state", state])
        let text = try String(contentsOfFile: dir + "/a.prom", encoding: .utf8)
        #expect(text.contains("# TYPE hostaudit_finding_new gauge"))
        #expect(text.contains("hostaudit_finding_new{rule=\"no-ld-preload\",severity=\"critical\",policy=\"audit-persistence\"} 1"))
        files.append(dir + "/a.prom")
        for f in files {
            let r = try CommandRunner.run([promtool, "check", "metrics"], stdin: try String(contentsOfFile: f, encoding: .utf8))
            #expect(r.status == 0, "\(f): \(r)")
        }
    }

    /// The shipped alert rules load and pass their unit tests.
    @Test(.requiresTools("promtool")) func alertRulesPassPromtoolUnitTests() throws {
        let promtool = try ExternalTools.require("promtool", package: "prometheus")
        let check = try CommandRunner.run([promtool, "check", "rules", Self.scripts + "/hostaudit.rules.yml"])
        #expect(check.status == 0, "\(check)")
        #expect(check.stdout.contains("4 rules found"))
        let test = try CommandRunner.run([promtool, "test", "rules", Self.scripts + "/hostaudit.rules.test.yml"])
        #expect(test.status == 0, "\(test)")
        #expect(test.stdout.contains("SUCCESS"))
    }
}
