import Foundation
import HostAuditCore
import HostAuditLinux
import HostAuditTestSupport
import Testing

/// One `/etc/hostname` reader: the resolver's search list and the report's
/// host name read an image's file the same way.
@Suite struct EtcHostnameTests {
    @Test(arguments: [
        ("client.lab.example\n", "client.lab.example"),
        ("hostname", "hostname"),
        ("# set by the installer\n\n   web-1  # trailing words\n", "web-1"),
        ("db\r\n", "db"),
        ("\t \n#only a comment\n", nil),
        ("", nil),
    ] as [(String, String?)])
    func parse(_ text: String, _ expected: String?) {
        #expect(EtcHostname.parse(Array(text.utf8)) == expected)
    }

    @Test func atMost255Bytes() {
        let long = String(repeating: "a", count: 300)
        #expect(EtcHostname.parse(Array(long.utf8))?.utf8.count == 255)
    }

    /// Below `--root`, both consumers give the same name, comment lines skipped
    /// (the report's host name used to be the comment line).
    @Test func bothConsumersAgree() throws {
        let root = try Fixtures.temporaryDirectory("ha-hostname")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/etc", withIntermediateDirectories: true)
        try Data("# managed\n  mirror-7.example\n".utf8).write(to: URL(fileURLWithPath: root + "/etc/hostname"))
        let scope = CollectionScope(root: root)
        #expect(HostIdentity.read(scope: scope) == HostIdentity(hostname: "mirror-7.example", kernel: nil))
        #expect(ResolverCollector(scope: scope).hostName() == "mirror-7.example")
    }
}
