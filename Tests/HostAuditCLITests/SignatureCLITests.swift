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

/// `facts persistence` scans what persistence points at only when asked (--signatures).
@Suite struct PersistenceSignatureCLITests {
    @Test func factsPersistenceSignaturesAreOptIn() throws {
        let root = try Fixtures.temporaryDirectory("ha-persig-cli")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Fixtures.write("root:x:0:0::/root:/bin/sh\n", to: "/etc/passwd", under: root)
        try Fixtures.write("* * * * * root /usr/local/bin/u.sh\n", to: "/etc/cron.d/u", under: root)
        let keys = ["level-etanod", "segap-eguh", "xmodnar", "ytiroirp-upc"].map { String($0.reversed()) }
        try Fixtures.write("#!/bin/sh\n# " + keys.joined(separator: " ") + "\n", to: "/usr/local/bin/u.sh", under: root)

        let plain = try HostAuditCLI.run(["facts", "persistence", "--format", "json", "--root", root])
        #expect(plain.status == 0, "\(plain)")
        let p = try JSONSerialization.jsonObject(with: Data(plain.stdout.utf8)) as? [String: Any]
        let pp = p?["persistence"] as? [String: Any]
        #expect(pp != nil && pp?["signatures"] is NSNull, "\(plain.stdout.prefix(300))")

        let scanned = try HostAuditCLI.run(
            ["facts", "persistence", "--format", "json", "--root", root, "--signatures", SignatureCLITests.signatures])
        #expect(scanned.status == 0, "\(scanned)")
        let s = try JSONSerialization.jsonObject(with: Data(scanned.stdout.utf8)) as? [String: Any]
        let sig = (s?["persistence"] as? [String: Any])?["signatures"] as? [String: Any]
        let matches = sig?["matches"] as? [[String: Any]] ?? []
        #expect(matches.map { $0["rule"] as? String } == ["Miner_XMRig_Config"], "\(sig ?? [:])")
        #expect(matches.first?["path"] as? String == "/usr/local/bin/u.sh")
    }
}
