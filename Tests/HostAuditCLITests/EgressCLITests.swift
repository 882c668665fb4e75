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
        ["egress", "127.0.0.1:53/sctp"],
        ["egress", "udp://127.0.0.1"],
        ["egress", "udp://127.0.0.1:53/path"],
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
        for word in ["--from-package-sources", "--root", "--timeout", "--format", "TARGET", "udp://HOST:PORT", "open|filtered"] {
            #expect(r.stdout.contains(word), "\(word)")
        }
    }

    /// UDP to loopback in a fresh namespace (nothing listens there): the
    /// destination's own port-unreachable is `closed`, IPv4 and IPv6, exit 1.
    @Test(.privileged) func udpClosedPortOnLoopback() throws {
        try NetNamespace.with(tag: "udpcli") { ns in
            let r = try HostAuditCLI.run(in: ns, ["egress", "udp://127.0.0.1:9", "[::1]:9/udp", "--timeout", "2", "--format", "json"])
            #expect(r.status == 1, "\(r)")
            let doc = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
            let probes = doc?["probes"] as? [[String: Any]] ?? []
            #expect(probes.count == 2, "\(r)")
            for p in probes {
                #expect(p["protocol"] as? String == "udp", "\(p)")
                #expect(p["state"] as? String == "closed", "\(p)")
                #expect(p["reason"] as? String == "port-unreach", "\(p)")
                #expect(p["cause"] as? String == "closed-port", "\(p)")
            }
        }
    }
}
