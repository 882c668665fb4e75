import Foundation
import HostAuditTestSupport
import Testing

/// The namespace scaffolding every kernel test builds on.
@Suite(.privileged) struct NetNamespaceTests {
    struct Boom: Error {}

    @Test func loopbackIsUpAndTheNamespaceIsDeletedAfterwards() throws {
        var name = ""
        try NetNamespace.with(tag: "lo") { ns in
            name = ns.name
            #expect(NetNamespace.existing().contains(ns.name))
            let link = try ns.check(["ip", "-o", "link", "show", "lo"])
            #expect(link.stdout.contains("UP"), "\(link)")
            // A listener on 127.0.0.1 inside the namespace is reachable from inside it.
            let addr = try ns.check(["ip", "-o", "addr", "show", "lo"])
            #expect(addr.stdout.contains("127.0.0.1"))
        }
        #expect(!name.isEmpty)
        #expect(!NetNamespace.existing().contains(name))
    }

    @Test func theNamespaceIsDeletedWhenTheBodyThrows() throws {
        var name = ""
        #expect(throws: Boom.self) {
            try NetNamespace.with(tag: "throw") { ns in
                name = ns.name
                throw Boom()
            }
        }
        #expect(!name.isEmpty)
        #expect(!NetNamespace.existing().contains(name))
    }

    @Test func namespacesAreIsolatedFromTheDefaultOne() throws {
        try NetNamespace.with(tag: "iso") { ns in
            // A fresh namespace has only loopback: the host's interfaces are not visible.
            let links = try ns.check(["ip", "-o", "link", "show"])
            #expect(links.stdout.split(separator: "\n").count == 1, "\(links)")
        }
    }

    @Test func hostauditRunsInsideANamespace() throws {
        try NetNamespace.with(tag: "cli") { ns in
            let r = try HostAuditCLI.run(in: ns, ["facts", "all", "--format", "json"])
            #expect(r.status == 0, "\(r)")
            #expect(r.stdout.contains("\"schema\": \"hostaudit.facts/v1\""))
        }
    }
}
