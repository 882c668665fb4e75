import Foundation
import HostAuditCore
import HostAuditTestSupport
import Testing

/// `controls:` on rules: loaded strictly, carried by findings, grouped in the
/// text report and annotated in JUnit.
@Suite struct PolicyControlsTests {
    static let policy = """
        name: t
        rules:
          - id: fwd
            title: Forwarding off
            severity: medium
            controls:
              - {framework: cis-debian-12, id: "3.3.1", title: IP forwarding disabled}
              - {framework: devsec-linux-baseline, id: sysctl-01}
            check: {path: firewall.available, equals: true}
          - id: other
            title: No controls
            severity: low
            check: {path: firewall.available, equals: true}
          - id: redirects
            title: Redirects
            severity: low
            controls: [{framework: cis-debian-12, id: "3.3.10"}, {framework: cis-debian-12, id: "3.3.2"}]
            check: {path: firewall.available, equals: false}
        """

    func load() throws -> Policy {
        try PolicyLoader().loadPolicy(text: Self.policy, file: "t.yaml").get()
    }

    @Test func loaderKeepsControlsInOrder() throws {
        let p = try load()
        #expect(p.rules[0].controls == [
            PolicyControl(framework: "cis-debian-12", id: "3.3.1", title: "IP forwarding disabled"),
            PolicyControl(framework: "devsec-linux-baseline", id: "sysctl-01"),
        ])
        #expect(p.rules[1].controls.isEmpty)
    }

    @Test func schemaJSONNamesTheControlKeys() throws {
        let data = try #require(FileManager.default.contents(atPath: Fixtures.packageRoot + "/Policies/schema.json"))
        let schema = try JSONValue(parsing: [UInt8](data))
        #expect(Set(schema.value(atPath: "$defs.control.properties")?.objectValue?.keys ?? []) == Set(PolicyKeys.control))
        #expect(schema.value(atPath: "$defs.rule.properties.controls") != nil)
    }

    func report() throws -> AuditReport {
        let findings = try PolicyEngine(policies: [try load()]).evaluate(facts: ["firewall": ["available": true]], profile: nil)
        return AuditReport(
            host: AuditHost(hostname: "h", kernel: nil, startedAt: Date(timeIntervalSince1970: 0), durationMs: 1), profile: nil,
            findings: findings)
    }

    @Test func findingsCarryControlsOnlyWhenTheRuleHasThem() throws {
        let json = try report().json()
        let findings = json["findings"]?.arrayValue ?? []
        let fwd = try #require(findings.first { $0["rule"]?.stringValue == "fwd" })
        #expect(fwd["controls"]?.arrayValue?.first?["id"]?.stringValue == "3.3.1")
        #expect(fwd["controls"]?.arrayValue?.first?["framework"]?.stringValue == "cis-debian-12")
        let other = try #require(findings.first { $0["rule"]?.stringValue == "other" })
        #expect(other["controls"] == nil)
        // The report also groups by control, in numeric order, each with its worst status.
        let groups = json["controls"]?.arrayValue ?? []
        #expect(groups.map { $0["id"]?.stringValue ?? "" } == ["3.3.1", "3.3.2", "3.3.10", "sysctl-01"])
        #expect(groups[1]["status"]?.stringValue == "fail")
        #expect(groups[1]["findings"]?.arrayValue?.first?["rule"]?.stringValue == "redirects")
    }

    @Test func textGroupsByControlInNumericOrder() throws {
        let text = AuditTextRenderer().render(try report())
        let section = try #require(text.components(separatedBy: "By control\n").last)
        let lines = section.split(separator: "\n").filter { !$0.hasPrefix("        ") }.prefix(4).map(String.init)
        #expect(lines[0].contains("PASS  cis-debian-12 3.3.1  IP forwarding disabled"), "\(lines)")
        #expect(lines[1].contains("FAIL  cis-debian-12 3.3.2"), "\(lines)")
        #expect(lines[2].contains("FAIL  cis-debian-12 3.3.10"), "\(lines)")
        #expect(lines[3].contains("devsec-linux-baseline sysctl-01"), "\(lines)")
        // Without controls the text has no such section.
        var plain = try report()
        for i in plain.findings.indices { plain.findings[i].controls = [] }
        #expect(!AuditTextRenderer().render(plain).contains("By control"))
    }

    @Test func junitAnnotatesTestcasesWithTheirControls() throws {
        let xml = AuditJUnitRenderer.render(try report())
        #expect(xml.contains("<property name=\"control\" value=\"cis-debian-12 3.3.1\"/>"))
        #expect(xml.contains("<property name=\"control\" value=\"devsec-linux-baseline sysctl-01\"/>"))
        #expect(xml.components(separatedBy: "<properties>").count == 3)  // fwd and redirects only
    }
}
