import HostAuditCore
import Testing

/// `xt_*` info structs taken from real rules (iptables 1.8.9 via iptables-nft or
/// iptables-legacy; mark, limit and rev-0/1 variants written with iptables-legacy,
/// dumped with ruleset-dump from Tests/Fixtures/iptables/all-extensions*.rules),
/// trailing zeros trimmed and re-padded to the struct's XT_ALIGN size.
private func info(_ hex: String, _ size: Int) -> [UInt8] {
    var out: [UInt8] = []
    var it = hex.makeIterator()
    while let a = it.next(), let b = it.next() { out.append(UInt8(String([a, b]), radix: 16)!) }
    return out + [UInt8](repeating: 0, count: max(0, size - out.count))
}

private let ct3Zeros = String(repeating: "0", count: 2 * 146)

struct XTCase: Sendable, CustomStringConvertible {
    var family: Family
    var isTarget: Bool
    var name: String
    var revision: UInt32
    var size: Int
    var hex: String
    var text: String
    var description: String { "\(family.name) \(name) rev \(revision):\(text)" }
}

private let cases: [XTCase] = [
    // conntrack rev 3: --ctstate NEW; ! --ctstate INVALID,UNTRACKED,SNAT; alias -m state
    XTCase(family: .ip, isTarget: false, name: "conntrack", revision: 3, size: 168, hex: ct3Zeros + "0100000008", text: " --ctstate NEW"),
    XTCase(family: .ip, isTarget: false, name: "conntrack", revision: 3, size: 168, hex: ct3Zeros + "010001004101", text: " ! --ctstate INVALID,UNTRACKED,SNAT"),
    XTCase(family: .ip, isTarget: false, name: "conntrack", revision: 3, size: 168, hex: ct3Zeros + "0120010008", text: " ! --state NEW"),
    XTCase(
        family: .ip, isTarget: false, name: "conntrack", revision: 3, size: 168,
        hex: "0a000000000000000000000000000000ff0000000000000000000000000000000a010001000000000000000000000000ffffffff0000000000000000000000000a020000000000000000000000000000ffff00000000000000000000000000000a030000000000000000000000000000ffffff000000000000000000000000000000000000000000060000000000000000003e0008",
        text: " --ctproto 6 --ctorigsrc 10.0.0.0/8 ! --ctorigdst 10.1.0.1 --ctreplsrc 10.2.0.0/16 --ctrepldst 10.3.0.0/24"),
    XTCase(
        family: .ip, isTarget: false, name: "conntrack", revision: 3, size: 168,
        hex: String(repeating: "0", count: 2 * 138) + "e803d007a00f8813000f000400000000e803b80ba00f8913",
        text: " --ctorigsrcport 1000 --ctorigdstport 2000:3000 ! --ctreplsrcport 4000 --ctrepldstport 5000:5001"),
    XTCase(
        family: .ip, isTarget: false, name: "conntrack", revision: 3, size: 168,
        hex: String(repeating: "0", count: 2 * 128) + "0a0000006400000000000000000000000000c010001000000c",
        text: " --ctstatus ASSURED,CONFIRMED --ctexpire 10:100 --ctdir REPLY"),
    XTCase(
        family: .ip6, isTarget: false, name: "conntrack", revision: 3, size: 168,
        hex: "20010db8000000000000000000000000ffffffffffffffff0000000000000000fd000000000000000000000000000001ffffffffffffffffffffffffffffffff" + String(repeating: "0", count: 2 * 82) + "0c0008",
        text: " --ctorigsrc 2001:db8::/64 ! --ctorigdst fd00::1"),
    // conntrack rev 1 (mtinfo1: u8 state mask): --ctstate ESTABLISHED,RELATED
    XTCase(family: .ip, isTarget: false, name: "conntrack", revision: 1, size: 152, hex: ct3Zeros + "0100000006", text: " --ctstate RELATED,ESTABLISHED"),
    // state rev 0 (xt_state_info)
    XTCase(family: .ip, isTarget: false, name: "state", revision: 0, size: 8, hex: "06", text: " --state RELATED,ESTABLISHED"),
    XTCase(family: .ip, isTarget: false, name: "comment", revision: 0, size: 256, hex: "737368", text: " --comment ssh"),
    XTCase(family: .ip, isTarget: false, name: "comment", revision: 0, size: 256, hex: "", text: " --comment \"\""),
    XTCase(
        family: .ip, isTarget: false, name: "comment", revision: 0, size: 256,
        hex: "697427732061202274657374222077697468205c206261636b736c617368",
        text: #" --comment "it\'s a \"test\" with \\ backslash""#),
    XTCase(family: .ip, isTarget: false, name: "tcp", revision: 0, size: 16, hex: "0000ffff0000ffff08", text: " --tcp-option 8"),
    XTCase(family: .ip, isTarget: false, name: "tcp", revision: 0, size: 16, hex: "0000ffff16001600001702", text: " --dport 22 --tcp-flags FIN,SYN,RST,ACK SYN"),
    XTCase(family: .ip, isTarget: false, name: "udp", revision: 0, size: 16, hex: "e803d00735003500", text: " --sport 1000:2000 --dport 53"),
    XTCase(family: .ip, isTarget: false, name: "icmp", revision: 0, size: 8, hex: "0800ff", text: " --icmp-type 8"),
    XTCase(family: .ip, isTarget: false, name: "icmp", revision: 0, size: 8, hex: "030404", text: " --icmp-type 3/4"),
    XTCase(family: .ip, isTarget: false, name: "icmp", revision: 0, size: 8, hex: "ff00ff01", text: " ! --icmp-type any"),
    XTCase(family: .ip6, isTarget: false, name: "icmp6", revision: 0, size: 8, hex: "8700ff", text: " --icmpv6-type 135"),
    XTCase(family: .ip6, isTarget: false, name: "icmp6", revision: 0, size: 8, hex: "01030301", text: " ! --icmpv6-type 1/3"),
    XTCase(family: .ip, isTarget: false, name: "multiport", revision: 1, size: 48, hex: "000235007b", text: " --sports 53,123"),
    XTCase(
        family: .ip, isTarget: false, name: "multiport", revision: 1, size: 48,
        hex: "02030100ff03901f00000000000000000000000000000000000000000000000001000000000000000000000000000001",
        text: " ! --ports 1:1023,8080"),
    XTCase(family: .ip, isTarget: false, name: "multiport", revision: 0, size: 32, hex: "01025000bb01", text: " --dports 80,443"),
    XTCase(family: .ip, isTarget: false, name: "mark", revision: 1, size: 16, hex: "004000000040000001", text: " ! --mark 0x4000/0x4000"),
    XTCase(family: .ip, isTarget: false, name: "owner", revision: 1, size: 24, hex: "e8030000e8030000000000000000000001", text: " --uid-owner 1000"),
    XTCase(family: .ip, isTarget: false, name: "owner", revision: 1, size: 24, hex: "e8030000d007000064000000640000000301", text: " ! --uid-owner 1000-2000 --gid-owner 100"),
    XTCase(family: .ip, isTarget: false, name: "owner", revision: 1, size: 24, hex: "000000000000000005000000060000000e02", text: " --socket-exists ! --gid-owner 5-6 --suppl-groups"),
    XTCase(family: .ip, isTarget: false, name: "addrtype", revision: 1, size: 8, hex: "0600c00106", text: " --src-type UNICAST,LOCAL ! --dst-type BLACKHOLE,UNREACHABLE,PROHIBIT --limit-iface-in"),
    XTCase(family: .ip, isTarget: false, name: "addrtype", revision: 1, size: 8, hex: "0000040008", text: " --dst-type LOCAL --limit-iface-out"),
    XTCase(family: .ip, isTarget: false, name: "limit", revision: 0, size: 40, hex: "400d03000a", text: " --limit 3/min --limit-burst 10"),
    XTCase(family: .ip, isTarget: false, name: "limit", revision: 0, size: 40, hex: "f401000005", text: " --limit 20/sec"),
    XTCase(family: .ip, isTarget: false, name: "statistic", revision: 0, size: 24, hex: "01000000020000000100000001", text: " --mode nth --every 3 --packet 1"),
    XTCase(family: .ip, isTarget: false, name: "statistic", revision: 0, size: 24, hex: "00000100000000200000000000000020", text: " --mode random ! --probability 0.25000000000"),
    // Targets
    XTCase(family: .ip, isTarget: true, name: "REJECT", revision: 0, size: 8, hex: "03", text: " --reject-with icmp-port-unreachable"),
    XTCase(family: .ip, isTarget: true, name: "REJECT", revision: 0, size: 8, hex: "07", text: " --reject-with tcp-reset"),
    XTCase(family: .ip, isTarget: true, name: "REJECT", revision: 0, size: 8, hex: "08", text: " --reject-with icmp-admin-prohibited"),
    XTCase(family: .ip6, isTarget: true, name: "REJECT", revision: 0, size: 8, hex: "01", text: " --reject-with icmp6-adm-prohibited"),
    XTCase(family: .ip6, isTarget: true, name: "REJECT", revision: 0, size: 8, hex: "04", text: " --reject-with icmp6-port-unreachable"),
    XTCase(family: .ip, isTarget: true, name: "LOG", revision: 0, size: 32, hex: "0600783a20", text: #" --log-prefix "x: " --log-level 6"#),
    XTCase(family: .ip, isTarget: true, name: "LOG", revision: 0, size: 32, hex: "072f", text: " --log-level 7 --log-tcp-sequence --log-tcp-options --log-ip-options --log-uid --log-macdecode"),
    XTCase(family: .ip, isTarget: true, name: "LOG", revision: 0, size: 32, hex: "04", text: ""),
    XTCase(family: .ip, isTarget: true, name: "MARK", revision: 2, size: 8, hex: "05000000ffffffff", text: " --set-xmark 0x5/0xffffffff"),
    XTCase(family: .ip, isTarget: true, name: "MARK", revision: 2, size: 8, hex: "00400000", text: " --set-xmark 0x4000/0x0"),
    XTCase(family: .ip, isTarget: true, name: "MASQUERADE", revision: 0, size: 24, hex: "0100000010", text: " --random-fully"),
    XTCase(family: .ip, isTarget: true, name: "MASQUERADE", revision: 0, size: 24, hex: "01000000060000000000000000000000040008", text: " --to-ports 1024-2048 --random"),
    XTCase(family: .ip6, isTarget: true, name: "MASQUERADE", revision: 0, size: 40, hex: "", text: ""),
    XTCase(family: .ip, isTarget: true, name: "SNAT", revision: 0, size: 24, hex: "0100000001000000010203040102030a", text: " --to-source 1.2.3.4-1.2.3.10"),
    XTCase(family: .ip, isTarget: true, name: "SNAT", revision: 0, size: 24, hex: "010000001b000000010203040102030413881770", text: " --to-source 1.2.3.4:5000-6000 --random-fully --persistent"),
    XTCase(family: .ip6, isTarget: true, name: "SNAT", revision: 1, size: 40, hex: "0700000020010db800000000000000000000000920010db800000000000000000000000903e807d0", text: " --to-source [2001:db8::9]:1000-2000 --random"),
    // DNAT rev 0 (nf_nat_ipv4_multi_range_compat), as iptables-legacy on older kernels writes it.
    XTCase(family: .ip, isTarget: true, name: "DNAT", revision: 0, size: 24, hex: "0100000003000000ac110002ac110002005000500", text: " --to-destination 172.17.0.2:80"),
    XTCase(family: .ip, isTarget: true, name: "DNAT", revision: 1, size: 40, hex: "010000000a0000030000000000000000000000000a000003", text: " --to-destination 10.0.0.3"),
    XTCase(family: .ip, isTarget: true, name: "DNAT", revision: 2, size: 48, hex: "0f0000000a0000020000000000000000000000000a0000090000000000000000000000001f901f9a", text: " --to-destination 10.0.0.2-10.0.0.9:8080-8090 --random --persistent"),
    XTCase(family: .ip, isTarget: true, name: "DNAT", revision: 2, size: 48, hex: "230000000a0000040000000000000000000000000a00000400000000000000000000000003e807d005dc", text: " --to-destination 10.0.0.4:1000-2000/1500"),
    XTCase(family: .ip6, isTarget: true, name: "DNAT", revision: 2, size: 48, hex: "0300000020010db800000000000000000000000220010db80000000000000000000000021f901f90", text: " --to-destination [2001:db8::2]:8080"),
    XTCase(family: .ip, isTarget: true, name: "REDIRECT", revision: 0, size: 24, hex: "010000000600000000000000000000001f951f96", text: " --to-ports 8085-8086 --random"),
    XTCase(family: .ip6, isTarget: true, name: "REDIRECT", revision: 0, size: 40, hex: "0200000000000000000000000000000000000000000000000000000000000000000000001f911f9a", text: " --to-ports 8081-8090"),
]

@Suite("XT decoders (Iptables)")
struct XTDecodeTests {
    @Test(arguments: cases)
    func decodesRealStructs(_ c: XTCase) {
        let bytes = info(c.hex, c.size)
        if c.isTarget {
            let t = XTTarget.decode(name: c.name, revision: c.revision, info: bytes, family: c.family)
            #expect(!t.isOpaque)
            #expect(t.name == c.name)
            #expect(IptablesSaveFormat.target(t, family: c.family) == c.text)
        } else {
            let m = XTMatch.decode(name: c.name, revision: c.revision, info: bytes, family: c.family)
            #expect(!m.isOpaque)
            #expect(IptablesSaveFormat.match(m, family: c.family) == c.text)
        }
    }

    /// Every decoder checks the length first: a truncated struct stays opaque.
    @Test(arguments: cases)
    func shortStructsStayOpaque(_ c: XTCase) {
        let bytes = Array(info(c.hex, c.size).prefix(3))
        if c.isTarget {
            #expect(XTTarget.decode(name: c.name, revision: c.revision, info: bytes, family: c.family).isOpaque)
        } else {
            #expect(XTMatch.decode(name: c.name, revision: c.revision, info: bytes, family: c.family).isOpaque)
        }
    }

    @Test func unknownNamesAndRevisionsStayOpaqueByName() {
        let m = XTMatch.decode(name: "recent", revision: 0, info: [1, 2, 3], family: .ip)
        #expect(m == .opaque(name: "recent", revision: 0, info: [1, 2, 3]))
        #expect(m.name == "recent")
        #expect(XTMatch.decode(name: "conntrack", revision: 9, info: info("", 168), family: .ip).isOpaque)
        #expect(XTTarget.decode(name: "NFQUEUE", revision: 3, info: [0, 0], family: .ip).isOpaque)
        #expect(IptablesSaveFormat.match(m, family: .ip) == nil)
    }

    @Test func hostileValuesDoNotTrap() {
        // multiport count beyond 15, NAT rangesize absurd, inverted ranges.
        #expect(XTMatch.decode(name: "multiport", revision: 1, info: info("01ff", 48), family: .ip).isOpaque)
        #expect(XTTarget.decode(name: "SNAT", revision: 0, info: info("ffffffff", 24), family: .ip).isOpaque)
        let tcp = XTMatch.decode(name: "tcp", revision: 0, info: info("ffff0100", 16), family: .ip)
        #expect(!tcp.isOpaque)
        _ = IptablesSaveFormat.match(tcp, family: .ip)
        for n in 0..<64 {
            let junk = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            _ = try? IptablesTable(
                legacy: .ip, name: "filter",
                info: LegacyTableInfo(validHooks: 0x0e, hookEntry: [0, 0, 0, 0, 0], underflow: [0, 0, 0, 0, 0], numEntries: 1, size: UInt32(n)),
                entries: junk)
        }
    }

    @Test func addressesPrintLikeInetNtop() {
        #expect(IptablesSaveFormat.addressText([0x20, 1, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1]) == "2001:db8::1")
        #expect(IptablesSaveFormat.addressText([UInt8](repeating: 0, count: 15) + [1]) == "::1")
        #expect(IptablesSaveFormat.addressText([UInt8](repeating: 0, count: 10) + [0xff, 0xff, 1, 2, 3, 4]) == "::ffff:1.2.3.4")
        #expect(IptablesSaveFormat.addressText([0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1]) == "2001:db8::1:0:0:1")
        #expect(IptablesSaveFormat.maskText([255, 0, 255, 0]) == "/255.0.255.0")
        #expect(IptablesSaveFormat.maskText([255, 255, 240, 0]) == "/20")
    }
}
