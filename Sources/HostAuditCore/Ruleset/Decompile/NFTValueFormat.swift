/// Printing typed constants exactly as nft 1.0.6 does (`datatype.c`, `ct.c`,
/// `meta.c`, `proto.c`).
enum NFTFormat {
    /// The value as an unsigned integer (up to 8 bytes), honouring byte order.
    static func uint(_ bytes: [UInt8], bigEndian: Bool) -> UInt64 {
        var v: UInt64 = 0
        let n = min(bytes.count, 8)
        if bigEndian {
            for i in 0..<n { v = v << 8 | UInt64(bytes[i]) }
        } else {
            for i in stride(from: n - 1, through: 0, by: -1) { v = v << 8 | UInt64(bytes[i]) }
        }
        return v
    }

    static let protocols: [UInt64: String] = [
        0: "ip", 1: "icmp", 2: "igmp", 3: "ggp", 4: "ipencap", 5: "st", 6: "tcp", 8: "egp", 9: "igp", 12: "pup",
        17: "udp", 20: "hmp", 22: "xns-idp", 27: "rdp", 29: "iso-tp4", 33: "dccp", 36: "xtp", 37: "ddp",
        38: "idpr-cmtp", 41: "ipv6", 43: "ipv6-route", 44: "ipv6-frag", 45: "idrp", 46: "rsvp", 47: "gre",
        50: "esp", 51: "ah", 57: "skip", 58: "ipv6-icmp", 59: "ipv6-nonxt", 60: "ipv6-opts", 73: "rspf",
        81: "vmtp", 88: "eigrp", 89: "ospf", 93: "ax.25", 94: "ipip", 97: "etherip", 98: "encap", 103: "pim",
        108: "ipcomp", 112: "vrrp", 115: "l2tp", 124: "isis", 132: "sctp", 133: "fc", 135: "mobility-header",
        136: "udplite", 137: "mpls-in-ip", 138: "manet", 139: "hip", 140: "shim6", 141: "wesp", 142: "rohc",
        143: "ethernet",
    ]
    static let icmpTypes: [UInt64: String] = [
        0: "echo-reply", 3: "destination-unreachable", 4: "source-quench", 5: "redirect", 8: "echo-request",
        9: "router-advertisement", 10: "router-solicitation", 11: "time-exceeded", 12: "parameter-problem",
        13: "timestamp-request", 14: "timestamp-reply", 15: "info-request", 16: "info-reply",
        17: "address-mask-request", 18: "address-mask-reply",
    ]
    static let icmpv6Types: [UInt64: String] = [
        1: "destination-unreachable", 2: "packet-too-big", 3: "time-exceeded", 4: "parameter-problem",
        128: "echo-request", 129: "echo-reply", 130: "mld-listener-query", 131: "mld-listener-report",
        132: "mld-listener-done", 133: "nd-router-solicit", 134: "nd-router-advert", 135: "nd-neighbor-solicit",
        136: "nd-neighbor-advert", 137: "nd-redirect", 138: "router-renumbering", 141: "ind-neighbor-solicit",
        142: "ind-neighbor-advert", 143: "mld2-listener-report",
    ]
    static let icmpCodes: [UInt64: String] = [
        0: "net-unreachable", 1: "host-unreachable", 2: "prot-unreachable", 3: "port-unreachable",
        4: "frag-needed", 9: "net-prohibited", 10: "host-prohibited", 13: "admin-prohibited",
    ]
    static let icmpv6Codes: [UInt64: String] = [
        0: "no-route", 1: "admin-prohibited", 3: "addr-unreachable", 4: "port-unreachable", 5: "policy-fail",
        6: "reject-route",
    ]
    static let icmpxCodes: [UInt64: String] = [
        0: "no-route", 1: "port-unreachable", 2: "host-unreachable", 3: "admin-prohibited",
    ]
    static let ctStates: [(UInt64, String)] = [
        (1, "invalid"), (2, "established"), (4, "related"), (8, "new"), (64, "untracked"),
    ]
    static let ctStatus: [(UInt64, String)] = [
        (1, "expected"), (2, "seen-reply"), (4, "assured"), (8, "confirmed"), (16, "snat"), (32, "dnat"),
        (512, "dying"),
    ]
    static let ctEvents: [(UInt64, String)] = [
        (1, "new"), (2, "related"), (4, "destroy"), (8, "reply"), (16, "assured"), (32, "protoinfo"),
        (64, "helper"), (128, "mark"), (256, "seqadj"), (512, "secmark"), (1024, "label"),
    ]
    static let tcpFlags: [(UInt64, String)] = [
        (1, "fin"), (2, "syn"), (4, "rst"), (8, "psh"), (16, "ack"), (32, "urg"), (64, "ecn"), (128, "cwr"),
    ]
    static let pkttypes: [UInt64: String] = [0: "host", 1: "broadcast", 2: "multicast", 3: "other"]
    static let arphrd: [UInt64: String] = [
        1: "ether", 512: "ppp", 768: "ipip", 769: "ipip6", 772: "loopback", 776: "sit", 778: "ipgre",
    ]
    static let ethertypes: [UInt64: String] = [
        0x0800: "ip", 0x0806: "arp", 0x86dd: "ip6", 0x8100: "8021q", 0x88a8: "8021ad", 0x8035: "rarp",
    ]
    static let arpops: [UInt64: String] = [
        1: "request", 2: "reply", 3: "rrequest", 4: "rreply", 8: "inrequest", 9: "inreply", 10: "nak",
    ]
    static let dscp: [UInt64: String] = [
        0x00: "cs0", 0x08: "cs1", 0x10: "cs2", 0x18: "cs3", 0x20: "cs4", 0x28: "cs5", 0x30: "cs6", 0x38: "cs7",
        0x01: "lephb", 0x0a: "af11", 0x0c: "af12", 0x0e: "af13", 0x12: "af21", 0x14: "af22", 0x16: "af23",
        0x1a: "af31", 0x1c: "af32", 0x1e: "af33", 0x22: "af41", 0x24: "af42", 0x26: "af43", 0x2c: "va", 0x2e: "ef",
    ]
    static let ecn: [UInt64: String] = [0: "not-ect", 1: "ect1", 2: "ect0", 3: "ce"]
    static let fibAddr: [UInt64: String] = [
        0: "unspec", 1: "unicast", 2: "local", 3: "broadcast", 4: "anycast", 5: "multicast", 6: "blackhole",
        7: "unreachable", 8: "prohibit",
    ]
    static let mhTypes: [UInt64: String] = [
        0: "binding-refresh-request", 1: "home-test-init", 2: "careof-test-init", 3: "home-test",
        4: "careof-test", 5: "binding-update", 6: "binding-acknowledgement", 7: "binding-error",
        8: "fast-binding-update", 9: "fast-binding-acknowledgement", 10: "fast-binding-advertisement",
        11: "experimental-mobility-header", 12: "home-agent-switch-message",
    ]
    static let nfprotos: [UInt64: String] = [2: "ipv4", 10: "ipv6"]
    static let dccpTypes: [UInt64: String] = [
        0: "request", 1: "response", 2: "data", 3: "ack", 4: "dataack", 5: "closereq", 6: "close", 7: "reset",
        8: "sync", 9: "syncack",
    ]

    static func flags(_ v: UInt64, _ table: [(UInt64, String)]) -> String {
        if v == 0 { return "0x0" }
        var names: [String] = []
        var rest = v
        for (bit, name) in table where v & bit != 0 {
            names.append(name)
            rest &= ~bit
        }
        if rest != 0 { names.append("0x" + String(rest, radix: 16)) }
        return names.joined(separator: ",")
    }

    static func hex8(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 8 - s.count)) + s
    }

    static func ipv4(_ b: [UInt8]) -> String {
        var s = ""
        for i in 0..<4 {
            if i > 0 { s += "." }
            s += String(i < b.count ? b[i] : 0)
        }
        return s
    }

    /// nft prints an IPv6 address with glibc's `inet_ntop`: RFC 5952, with
    /// `::ffff:a.b.c.d` and `::a.b.c.d` keeping the dotted quad. A short
    /// value is zero-padded to 16 bytes.
    static func ipv6(_ b: [UInt8]) -> String {
        let padded = Array(b.prefix(16)) + [UInt8](repeating: 0, count: max(0, 16 - b.count))
        return IPAddress(bytes: padded)!.inetNtopText
    }

    static func ether(_ b: [UInt8]) -> String {
        b.prefix(6).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: ":")
    }

    static func string(_ b: [UInt8]) -> String {
        var end = b.count
        if let nul = b.firstIndex(of: 0) { end = nul }
        return String(decoding: b[0..<end], as: UTF8.self)
    }

    /// `time_print`: `1h`, `4m59s980ms`, `30s`.
    static func time(ms: UInt64) -> String {
        var ms = ms
        let days = ms / 86_400_000
        ms %= 86_400_000
        let hours = ms / 3_600_000
        ms %= 3_600_000
        let minutes = ms / 60_000
        ms %= 60_000
        let seconds = ms / 1000
        ms %= 1000
        var s = ""
        if days > 0 { s += "\(days)d" }
        if hours > 0 { s += "\(hours)h" }
        if minutes > 0 { s += "\(minutes)m" }
        if seconds > 0 { s += "\(seconds)s" }
        if ms > 0 { s += "\(ms)ms" }
        return s.isEmpty ? "0s" : s
    }

    static func named(_ v: UInt64, _ table: [UInt64: String]) -> String { table[v] ?? String(v) }

    /// One value of `type` as nft prints it.
    static func value(_ v: NFTValue, interfaces: [UInt32: String]) -> String {
        let b = v.bytes
        switch v.type {
        case .ipv4Addr: return ipv4(b)
        case .ipv6Addr: return ipv6(b)
        case .etherAddr, .lladdr: return ether(b)
        case .string, .ifname: return "\"" + string(b) + "\""
        case .verdict: return "verdict"
        case .concat: return b.map { String($0, radix: 16) }.joined()
        default: break
        }
        let n = uint(b, bigEndian: v.bigEndian)
        switch v.type {
        case .inetProto: return named(n, protocols)
        case .icmpType: return named(n, icmpTypes)
        case .icmpv6Type: return named(n, icmpv6Types)
        case .icmpCode: return named(n, icmpCodes)
        case .icmpv6Code: return named(n, icmpv6Codes)
        case .icmpxCode: return named(n, icmpxCodes)
        case .ctState: return flags(n, ctStates)
        case .ctStatus: return flags(n, ctStatus)
        case .ctEvent: return flags(n, ctEvents)
        case .tcpFlag: return flags(n, tcpFlags)
        case .ctDir: return n == 0 ? "original" : n == 1 ? "reply" : String(n)
        case .pkttype: return named(n, pkttypes)
        case .arphrd: return named(n, arphrd)
        case .ethertype: return ethertypes[n] ?? hexPadded(n, bytes: 2)
        case .arpop: return named(n, arpops)
        case .dscp: return dscp[n] ?? hexPadded(n, bytes: 1)
        case .ecn: return named(n, ecn)
        case .fibAddr: return named(n, fibAddr)
        case .mhType: return named(n, mhTypes)
        case .dccpPkttype: return named(n, dccpTypes)
        case .nfproto: return named(n, nfprotos)
        case .mark: return hex8(n)
        case .boolean: return n != 0 ? "exists" : "missing"
        case .time: return time(ms: n)
        case .day:
            return n < 7 ? "\"" + days[Int(n)] + "\"" : "\"" + String(n) + "\""
        case .hour:
            // Seconds since midnight UTC; nft shifts by the local UTC offset (UTC here).
            let secs = n % 86400
            var out = "\"" + pad2(secs / 3600) + ":" + pad2(secs / 60 % 60)
            if secs % 60 != 0 { out += ":" + pad2(secs % 60) }
            return out + "\""
        case .date:
            return "\"" + date(seconds: Int64(n / 1_000_000_000)) + "\""
        case .classid:
            if n == 0xffff_ffff { return "root" }
            if n == 0 { return "none" }
            return String(n >> 16, radix: 16) + ":" + String(n & 0xffff, radix: 16)
        case .ifindex:
            if let name = interfaces[UInt32(truncatingIfNeeded: n)] { return "\"" + name + "\"" }
            return String(n)
        case .ctLabel:
            // Label bits by number (no connlabel.conf names).
            var bits: [String] = []
            for (i, byte) in b.enumerated() {
                for bit in 0..<8 where byte & (1 << UInt8(bit)) != 0 { bits.append(String(i * 8 + bit)) }
            }
            return bits.isEmpty ? "0" : bits.joined(separator: ",")
        case .bitmask, .xinteger where b.count <= 8:
            return "0x" + String(n, radix: 16)
        case .igmpType:
            return named(n, igmpTypes)
        default:
            if b.count > 8 {
                // nft prints wide integers as one GMP number: no leading zeros.
                let digits = (v.bigEndian ? b : b.reversed()).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }
                    .joined().drop { $0 == "0" }
                return "0x" + (digits.isEmpty ? "0" : String(digits))
            }
            return String(n)
        }
    }

    static let igmpTypes: [UInt64: String] = [
        0x11: "membership-query", 0x12: "membership-report-v1", 0x16: "membership-report-v2",
        0x22: "membership-report-v3", 0x17: "leave-group",
    ]

    static let days = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]

    static func pad2(_ v: UInt64) -> String { UTCDateText.pad2(v) }

    /// `%Y-%m-%d %T` in UTC.
    static func date(seconds: Int64) -> String {
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        return UTCDateText.text(days: days, secondOfDay: UInt64(seconds - days * 86400), separator: " ")
    }

    static func hexPadded(_ n: UInt64, bytes: Int) -> String {
        let s = String(n, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, bytes * 2 - s.count)) + s
    }
}
