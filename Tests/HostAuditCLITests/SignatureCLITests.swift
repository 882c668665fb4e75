import Foundation
import HostAuditTestSupport
import Testing

/// `policy lint` checks the YARA rule names policies match on.
@Suite struct SignatureCLITests {
    static let signatures = Fixtures.packageRoot + "/Policies/signatures"

    static func policy(_ name: String) -> String {
        """
        name: sigref
        version: 1.0.0
        rules:
          - id: named-signature
            title: A named signature matches
            severity: high
            when: {path: processes.signatures.available, equals: true}
            check:
              none:
                path: processes.list
                where:
                  any: {path: signatures.matches, where: {path: rule, in: [Miner_Stratum_Protocol, \(name)]}}

        """
    }

    @Test func lintAcceptsExistingSignatureNames() throws {
        let dir = try Fixtures.temporaryDirectory("ha-sigref")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.policy("Miner_XMRig_Config").write(toFile: dir + "/p.yaml", atomically: true, encoding: .utf8)
        let r = try HostAuditCLI.run(["policy", "lint", "--signatures", Self.signatures, dir + "/p.yaml"])
        #expect(r.status == 0, "\(r)")
    }

    @Test func lintRejectsAnUnknownSignatureName() throws {
        let dir = try Fixtures.temporaryDirectory("ha-sigref")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.policy("Miner_Stratum_Protocl").write(toFile: dir + "/p.yaml", atomically: true, encoding: .utf8)
        let r = try HostAuditCLI.run(["policy", "lint", "--signatures", Self.signatures, dir + "/p.yaml"])
        #expect(r.status == 2, "\(r)")
        #expect(r.stderr.contains("p.yaml:"), "\(r)")
        #expect(r.stderr.contains("Miner_Stratum_Protocl"), "\(r)")
        #expect(!r.stderr.contains("signature Miner_Stratum_Protocol,"), "\(r)")
    }
}
