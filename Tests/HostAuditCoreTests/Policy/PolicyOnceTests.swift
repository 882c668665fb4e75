import Foundation
import HostAuditCore
import Testing

/// Waivers and parameters parsed once with the library, and one evaluation
/// for an audit without probes.
@Suite struct PolicyOnceTests {
    static func write(_ files: [String: String]) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ha-once-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8) }
        return dir
    }

    static let policy = """
        name: t
        parameters:
          limit: {default: 1}
        rules:
          - {id: up, title: U, severity: high, check: {reachable: ["mirror.example:80"]}}
          - {id: smtp, title: M, severity: high, check: {blocked: [{dst: 192.0.2.25, dport: 25}]}}
          - {id: rules, title: R, severity: low, check: {path: firewall.summary.rules, equals: {param: limit}}}
        """

    @Test func libraryKeepsTheWaiversAndParametersItValidated() throws {
        let dir = try Self.write([
            "t.yaml": Self.policy,
            "waivers.yaml": "waivers:\n  - {rule: up, reason: mirror moves, expires: 2000-01-01}\n",
            "params.yaml": "parameters:\n  limit: 3\n",
        ])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let lib = PolicyLibrary.load(paths: [dir])
        #expect(lib.errors.isEmpty, "\(lib.errors)")
        #expect(lib.waivers.map(\.rule) == ["up"])
        #expect(lib.parameters.values["limit"]?.value == .int(3))
    }

    @Test func withoutProbesReachableRulesAreSkippedInTheSameEvaluation() throws {
        let dir = try Self.write([
            "t.yaml": Self.policy,
            "waivers.yaml": "waivers:\n  - {rule: up, reason: mirror moves, expires: 2000-01-01}\n",
        ])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let lib = PolicyLibrary.load(paths: [dir])
        let engine = try PolicyEngine(policies: lib.policies, parameters: lib.parameters, waivers: lib.waivers)
        // Flows answered from the ruleset, nothing probed.
        let observations = try EgressObservations(
            json: JSONValue(parsing: Array(#"{"probes": [], "verdicts": [{"flow": {"dst": "192.0.2.25", "dport": 25}, "verdict": "drop"}]}"#.utf8)))
        let findings = engine.evaluate(
            facts: .object(JSONObject()), egress: observations, probesSkipped: "egress was not probed (--no-probes)")
        let up = findings.first { $0.rule == "up" }
        #expect(up?.status == .skip)
        #expect(up?.detail == "egress was not probed (--no-probes)")
        #expect(findings.first { $0.rule == "smtp" }?.status == .pass)
        // The expired waiver of the skipped rule is still reported.
        #expect(findings.contains { $0.rule == "waiver-expired" && $0.policy == "waivers" })
        // Each rule once.
        #expect(findings.filter { $0.rule == "up" }.count == 1)
    }
}
