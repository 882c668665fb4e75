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
