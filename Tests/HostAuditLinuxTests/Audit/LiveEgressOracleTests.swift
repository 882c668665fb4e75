import Foundation
import HostAuditCore
@testable import HostAuditLinux
import HostAuditTestSupport
import Testing

/// The oracle's problems are read under its lock while probes record theirs.
@Suite struct LiveEgressOracleStateTests {
    @Test func problemsAreReadUnderTheLockWhileExpanding() async {
        let oracle = LiveEgressOracle(scope: CollectionScope(root: Fixtures.root("pkgsrc-yum")), timeout: 1)
        await withTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask { _ = oracle.expand(.packageSources); return oracle.problems.count }
            }
            for await _ in group {}
        }
        let once = LiveEgressOracle(scope: CollectionScope(root: Fixtures.root("pkgsrc-yum")), timeout: 1)
        _ = once.expand(.packageSources)
        #expect(once.problems.count > 0, "the fixture's unusable sources (ftp://, file://) are problems")
        #expect(oracle.problems.count == 8 * once.problems.count)
    }
}

/// The audit session's parts that read the host: collector failures classified
/// by value, the host's name, the host's parameters below `--root`.
@Suite struct AuditSessionPartsTests {
    @Test func liveKernelSectionsBelowARootAreNotFailures() async {
        let scope = CollectionScope(root: Fixtures.root("persist-clean"))
        let c = AuditCollection(scope: scope, processOptions: ProcessCollectionOptions(cpuInterval: 0, hiddenSweep: false), budget: 60)
        let (doc, errors) = await c.run([.firewall, .sockets, .resolver])
        #expect(errors.isEmpty, "\(errors.map(\.rule))")
        #expect(doc.json()["firewall"]?["error"]?.stringValue != nil)
        #expect(c.failure(.firewall, doc.json()["firewall"]).map { if case .notApplicableBelowRoot = $0 { true } else { false } } == true)
        // The same error on the live host is a failure.
        let live = AuditCollection(scope: .live, processOptions: ProcessCollectionOptions(), budget: 60)
        #expect(live.failure(.firewall, .object(JSONObject([("error", "netlink: permission denied")]))) == .failed("netlink: permission denied"))
        #expect(live.failure(.firewall, nil) == .overran(budget: 60))
    }

    @Test func hostNameBelowARootComesFromTheImage() {
        let below = HostIdentity.read(scope: CollectionScope(root: Fixtures.root("selinux-missing")))
        #expect(below == HostIdentity(hostname: "hostname", kernel: nil))
        let live = HostIdentity.read(scope: .live)
        #expect(live.kernel == KernelName.current()?.release)
        #expect(live.kernel?.isEmpty == false)
    }

    @Test func hostParametersAreReadBelowTheRootOnly() throws {
        let fm = FileManager.default
        let base = fm.temporaryDirectory.appendingPathComponent("ha-params-\(UUID().uuidString)").path
        defer { try? fm.removeItem(atPath: base) }
        try fm.createDirectory(atPath: base + "/policies", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: base + "/root/etc/hostaudit", withIntermediateDirectories: true)
        try "name: t\nparameters:\n  limit: {default: 1}\nrules: []\n".write(toFile: base + "/policies/t.yaml", atomically: true, encoding: .utf8)
        try "parameters:\n  limit: 7\n".write(toFile: base + "/outside.yaml", atomically: true, encoding: .utf8)
        let root = CollectionScope(root: base + "/root")
        // A link out of the image resolves inside it: nothing there, no overrides.
        try fm.createSymbolicLink(atPath: base + "/root/etc/hostaudit/params.yaml", withDestinationPath: base + "/outside.yaml")
        let linked = try PolicySet.load(paths: [base + "/policies"], hostParametersBelow: root)
        #expect(linked.library.parameters.values["limit"] == nil)
        try fm.removeItem(atPath: base + "/root/etc/hostaudit/params.yaml")
        try "parameters:\n  limit: 5\n".write(toFile: base + "/root/etc/hostaudit/params.yaml", atomically: true, encoding: .utf8)
        let set = try PolicySet.load(paths: [base + "/policies"], hostParametersBelow: root)
        #expect(set.library.parameters.values["limit"]?.value == .int(5))
        try "parameters:\n  limt: 5\n".write(toFile: base + "/root/etc/hostaudit/params.yaml", atomically: true, encoding: .utf8)
        #expect(throws: PolicyLoadFailure.self) { try PolicySet.load(paths: [base + "/policies"], hostParametersBelow: root) }
    }
}
