import HostAuditCore
import Testing

/// A rule whose extension hostaudit cannot print (a name it does not know, or a
/// revision of a known one it does not know) stays in place in the
/// iptables-save text, named, in match order; the rest of the table prints as
/// usual; strict mode refuses the table; `undecodedExtensions` names the part.
/// Independent of which extensions the kernel test can still find undecoded.
struct UndecodedExtensionTests {
    static func rule(_ matches: [XTMatch], target: IptablesRule.Target = .drop) -> IptablesRule {
        var r = IptablesRule()
        r.proto = 6
        r.matches = matches
        r.target = target
        return r
    }

    @Test(arguments: [("socket", UInt32(9), 8), ("hostaudit-unknown", UInt32(0), 16), ("devgroup", UInt32(0), 20)])
    func unknownMatchStaysInPlace(_ name: String, _ revision: UInt32, _ size: Int) {
        let unknown = XTMatch.opaque(name: name, revision: revision, info: [UInt8](repeating: 1, count: size))
        let comment = XTMatch.decode(name: "comment", revision: 0, info: Array("after".utf8) + [UInt8](repeating: 0, count: 251), family: .ip)
        let r = Self.rule([unknown, comment])
        #expect(IptablesSaveFormat.rule(r, chain: "INPUT", family: .ip, strict: true) == nil)
        #expect(
            IptablesSaveFormat.rule(r, chain: "INPUT", family: .ip, strict: false)
                == "-A INPUT -p tcp -m \(name) [undecoded: revision \(revision), \(size) bytes] -m comment --comment after -j DROP")
        #expect(IptablesSaveFormat.undecodedExtensions(r, family: .ip) == ["match \(name)"])

        let table = IptablesTable(family: .ip, name: "filter", chains: [
            IptablesChain(name: "INPUT", policy: "ACCEPT", rules: [Self.rule([]), r]),
        ])
        #expect(IptablesSaveFormat.table(table, strict: true) == nil)
        #expect(
            IptablesSaveFormat.table(table, strict: false)
                == "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp -j DROP\n-A INPUT -p tcp -m \(name) [undecoded: revision \(revision), \(size) bytes] -m comment --comment after -j DROP\nCOMMIT\n")
    }

    /// The same struct with a known revision and size prints (the control for the case above).
    @Test func knownRevisionPrints() {
        var info = [UInt8](repeating: 0, count: 8)
        info[0] = 7
        let r = Self.rule([.opaque(name: "socket", revision: 3, info: info)])
        #expect(IptablesSaveFormat.rule(r, chain: "INPUT", family: .ip, strict: true)
            == "-A INPUT -p tcp -m socket --transparent --nowildcard --restore-skmark -j DROP")
        #expect(IptablesSaveFormat.undecodedExtensions(r, family: .ip).isEmpty)
    }
}
