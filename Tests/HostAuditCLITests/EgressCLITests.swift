import Foundation
import HostAuditTestSupport
import Testing

/// `hostaudit egress` command-line surface that needs no network: misuse is
/// exit 64 with a message, nothing to probe is exit 3.
@Suite struct EgressCLITests {
    @Test(arguments: [
        ["egress"],
        ["egress", "mirror.example"],
        ["egress", "2001:db8::1:80"],
        ["egress", "mirror.example:99999"],
        ["egress", "gopher://mirror.example/"],
        ["egress", "127.0.0.1:80", "--timeout", "0"],
        ["egress", "127.0.0.1:80", "--timeout", "nan"],
        ["egress", "127.0.0.1:80", "--format", "xml"],
    ])
    func misuseExits64(_ args: [String]) throws {
        let r = try HostAuditCLI.run(args)
        #expect(r.status == 64, "\(r)")
        #expect(!r.stderr.isEmpty)
        #expect(r.stdout.isEmpty)
    }

    @Test func invalidTargetMessageNamesTheProblem() throws {
        let r = try HostAuditCLI.run(["egress", "mirror.example"])
        #expect(r.stderr.contains("invalid target 'mirror.example': missing port"), "\(r)")
    }

    @Test func noPackageSourcesIsExit3() throws {
        let r = try HostAuditCLI.run(["egress", "--from-package-sources", "--root", Fixtures.root("pkgsrc-empty")])
        #expect(r.status == 3, "\(r)")
        #expect(r.stderr.contains("no targets"))
    }

    @Test func unusableRootIsExit3() throws {
        let r = try HostAuditCLI.run(["egress", "127.0.0.1:1", "--root", "/nonexistent/hostaudit-root"])
        #expect(r.status == 3, "\(r)")
    }

    @Test func helpListsTheOptions() throws {
        let r = try HostAuditCLI.run(["egress", "--help"])
        #expect(r.status == 0)
        for word in ["--from-package-sources", "--root", "--timeout", "--format", "TARGET"] {
            #expect(r.stdout.contains(word), "\(word)")
        }
    }
}
