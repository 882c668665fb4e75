import Foundation
import HostAuditCore
import HostAuditTestSupport
import Testing

/// `report diff`: two reports of one host differ in substance (a finding's
/// outcome, a probe's end), not in the parts every run changes.
@Suite struct ReportDiffTests {
    static func lab() throws -> [String: Any] {
        let data = try #require(FileManager.default.contents(atPath: Fixtures.path("reports/lab-post-compromise.json")))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func value(_ doc: [String: Any]) throws -> JSONValue {
        try JSONValue(parsing: [UInt8](try JSONSerialization.data(withJSONObject: doc)))
    }

    @Test func timesRunIDsAndEvidenceAreNotSubstance() throws {
        let old = try Self.lab()
        var new = old
        var host = try #require(new["host"] as? [String: Any])
        host["started_at"] = "2026-12-03T01:00:00.000Z"
        host["duration_ms"] = 9999
        new["host"] = host
        new["run_id"] = "another-run"
        var findings = try #require(new["findings"] as? [[String: Any]])
        findings[0]["evidence"] = [["kind": "process", "pid": 777, "detail": "a restarted miner"]]
        new["findings"] = findings
        var egress = try #require(new["egress"] as? [[String: Any]])
        egress[0]["elapsed_ms"] = 2999
        egress[0]["evidence"] = [] as [Any]
        new["egress"] = egress
        new["changes"] = ["new": [] as [Any], "resolved": [] as [Any]]
        let d = ReportDiff(old: try Self.value(old), new: try Self.value(new))
        #expect(d.same, "\(d.changes)")
        #expect(d.text() == "hostaudit report diff: the same in substance\n")
    }

    @Test func aFindingsOutcomeAndAProbesEndAreSubstance() throws {
        let old = try Self.lab()
        var new = old
        var findings = try #require(new["findings"] as? [[String: Any]])
        let i = try #require(findings.firstIndex { $0["rule"] as? String == "miner-process" })
        #expect(findings[i]["status"] as? String == "fail")
        findings[i]["status"] = "pass"
        new["findings"] = findings
        var egress = try #require(new["egress"] as? [[String: Any]])
        let seed = try #require(egress.firstIndex { $0["target"] as? String == "10.66.2.2:80" })
        egress[seed]["state"] = "open"
        egress[seed]["cause"] = "none"
        let dropped = egress.removeLast()
        new["egress"] = egress
        let d = ReportDiff(old: try Self.value(old), new: try Self.value(new))
        #expect(!d.same)
        #expect(d.changes.contains(.init(kind: .finding, key: "miners/miner-process", old: "critical fail", new: "critical pass")), "\(d.changes)")
        #expect(
            d.changes.contains(.init(kind: .egress, key: "10.66.2.2:80 10.66.2.2 80/tcp", old: "filtered upstream-filter", new: "open none")),
            "\(d.changes)")
        #expect(d.changes.contains { $0.kind == .egress && $0.new == nil && $0.key.hasPrefix("\(dropped["target"] as? String ?? "?") ") })
        #expect(d.changes.count == 3, "\(d.changes)")
        #expect(d.text().contains("finding miners/miner-process: critical fail -> critical pass"))
        let json = d.json()
        #expect(json["schema"]?.stringValue == "hostaudit.diff/v1")
        #expect(json["same"]?.boolValue == false)
        #expect(json["changes"]?.arrayValue?.count == 3)
    }

    @Test func noEarlierReportMeansEverythingIsNew() throws {
        let new = try Self.value(try Self.lab())
        let d = ReportDiff(old: nil, new: new)
        #expect(!d.same)
        #expect(d.changes.allSatisfy { $0.old == nil })
        #expect(d.changes.filter { $0.kind == .finding }.count == new["findings"]?.arrayValue?.count)
    }

    /// Names are compared byte for byte: a rule spelt with a combining accent is not the precomposed one.
    @Test func keysAreComparedByteForByte() throws {
        func doc(_ rule: String) throws -> JSONValue {
            try Self.value([
                "schema": "hostaudit.report/v1", "findings": [["policy": "p", "rule": rule, "severity": "high", "status": "fail"]],
            ])
        }
        let d = ReportDiff(old: try doc("caf\u{E9}"), new: try doc("cafe\u{301}"))
        #expect(d.changes.count == 2, "\(d.changes)")
        // Hostile names are escaped in text.
        let e = ReportDiff(old: nil, new: try doc("x\u{1B}[31m\u{202E}"))
        #expect(!e.text().unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x202E })
    }
}
