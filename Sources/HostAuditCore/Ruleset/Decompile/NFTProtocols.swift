/// nft's protocol header templates (`proto.c`), meta keys (`meta.c`) and ct
/// keys (`ct.c`), as the decompiler needs them.
struct NFTProtoField {
    let name: String
    let offset: Int
    let length: Int
    let type: NFTDatatype
    /// Header fields are network order; a few (none here) are host order.
    var bigEndian: Bool = true
}

struct NFTProtoDesc {
    let name: String
    let base: UInt32
    let fields: [NFTProtoField]

    func field(offset: Int, length: Int) -> NFTProtoField? {
        fields.first { $0.offset == offset && $0.length == length }
    }
    /// A field that starts at `offset` and is longer than `length` (prefix match).
    func field(startingAt offset: Int, longerThan length: Int) -> NFTProtoField? {
        fields.first { $0.offset == offset && $0.length > length }
    }
}

enum NFTProtocols {
    /// The source and destination ports every port-carrying transport header starts with.
    static let ports: [NFTProtoField] = [
        .init(name: "sport", offset: 0, length: 16, type: .inetService),
        .init(name: "dport", offset: 16, length: 16, type: .inetService),
    ]
    static let ether = NFTProtoDesc(
        name: "ether", base: 0,
        fields: [
            .init(name: "daddr", offset: 0, length: 48, type: .etherAddr),
            .init(name: "saddr", offset: 48, length: 48, type: .etherAddr),
            .init(name: "type", offset: 96, length: 16, type: .ethertype),
        ])
    static let ip = NFTProtoDesc(
        name: "ip", base: 1,
        fields: [
            .init(name: "version", offset: 0, length: 4, type: .integer),
            .init(name: "hdrlength", offset: 4, length: 4, type: .integer),
            .init(name: "dscp", offset: 8, length: 6, type: .dscp),
            .init(name: "ecn", offset: 14, length: 2, type: .ecn),
            .init(name: "length", offset: 16, length: 16, type: .integer),
            .init(name: "id", offset: 32, length: 16, type: .integer),
            .init(name: "frag-off", offset: 48, length: 16, type: .integer),
            .init(name: "ttl", offset: 64, length: 8, type: .integer),
            .init(name: "protocol", offset: 72, length: 8, type: .inetProto),
            .init(name: "checksum", offset: 80, length: 16, type: .integer),
            .init(name: "saddr", offset: 96, length: 32, type: .ipv4Addr),
            .init(name: "daddr", offset: 128, length: 32, type: .ipv4Addr),
        ])
    static let ip6 = NFTProtoDesc(
        name: "ip6", base: 1,
        fields: [
            .init(name: "version", offset: 0, length: 4, type: .integer),
            .init(name: "dscp", offset: 4, length: 6, type: .dscp),
            .init(name: "ecn", offset: 10, length: 2, type: .ecn),
            .init(name: "flowlabel", offset: 12, length: 20, type: .integer),
            .init(name: "length", offset: 32, length: 16, type: .integer),
            .init(name: "nexthdr", offset: 48, length: 8, type: .inetProto),
            .init(name: "hoplimit", offset: 56, length: 8, type: .integer),
            .init(name: "saddr", offset: 64, length: 128, type: .ipv6Addr),
            .init(name: "daddr", offset: 192, length: 128, type: .ipv6Addr),
        ])
    static let arp = NFTProtoDesc(
        name: "arp", base: 1,
        fields: [
            .init(name: "htype", offset: 0, length: 16, type: .integer),
            .init(name: "ptype", offset: 16, length: 16, type: .ethertype),
            .init(name: "hlen", offset: 32, length: 8, type: .integer),
            .init(name: "plen", offset: 40, length: 8, type: .integer),
            .init(name: "operation", offset: 48, length: 16, type: .arpop),
            .init(name: "saddr ether", offset: 64, length: 48, type: .etherAddr),
            .init(name: "saddr ip", offset: 112, length: 32, type: .ipv4Addr),
            .init(name: "daddr ether", offset: 144, length: 48, type: .etherAddr),
            .init(name: "daddr ip", offset: 192, length: 32, type: .ipv4Addr),
        ])
    static let tcp = NFTProtoDesc(
        name: "tcp", base: 2,
        fields: ports + [
            .init(name: "sequence", offset: 32, length: 32, type: .integer),
            .init(name: "ackseq", offset: 64, length: 32, type: .integer),
            .init(name: "doff", offset: 96, length: 4, type: .integer),
            .init(name: "reserved", offset: 100, length: 4, type: .integer),
            .init(name: "flags", offset: 104, length: 8, type: .tcpFlag),
            .init(name: "window", offset: 112, length: 16, type: .integer),
            .init(name: "checksum", offset: 128, length: 16, type: .integer),
            .init(name: "urgptr", offset: 144, length: 16, type: .integer),
        ])
    static let udp = NFTProtoDesc(
        name: "udp", base: 2,
        fields: ports + [
            .init(name: "length", offset: 32, length: 16, type: .integer),
            .init(name: "checksum", offset: 48, length: 16, type: .integer),
        ])
    static let udplite = NFTProtoDesc(
        name: "udplite", base: 2,
        fields: ports + [
            .init(name: "csumcov", offset: 32, length: 16, type: .integer),
            .init(name: "checksum", offset: 48, length: 16, type: .integer),
        ])
    static let sctp = NFTProtoDesc(
        name: "sctp", base: 2,
        fields: ports + [
            .init(name: "vtag", offset: 32, length: 32, type: .integer),
            .init(name: "checksum", offset: 64, length: 32, type: .integer),
        ])
    static let dccp = NFTProtoDesc(
        name: "dccp", base: 2,
        fields: ports + [
            .init(name: "type", offset: 67, length: 4, type: .dccpPkttype),
        ])
    static let icmp = NFTProtoDesc(
        name: "icmp", base: 2,
        fields: [
            .init(name: "type", offset: 0, length: 8, type: .icmpType),
            .init(name: "code", offset: 8, length: 8, type: .icmpCode),
            .init(name: "checksum", offset: 16, length: 16, type: .integer),
            .init(name: "id", offset: 32, length: 16, type: .integer),
            .init(name: "sequence", offset: 48, length: 16, type: .integer),
            .init(name: "gateway", offset: 32, length: 32, type: .integer),
            .init(name: "mtu", offset: 48, length: 16, type: .integer),
        ])
    /// The icmpv6 fields the decompiler names a load by: the template without
    /// `mtu` and `max-delay`, which share their offsets with earlier fields.
    static let icmp6 = NFTProtoDesc(
        name: "icmpv6", base: 2, fields: icmp6Template.fields.filter { $0.name != "mtu" && $0.name != "max-delay" })
    /// icmpv6 in nft's template order (`proto.c`), for `typeof` (template indexes).
    static let icmp6Template = NFTProtoDesc(
        name: "icmpv6", base: 2,
        fields: [
            .init(name: "type", offset: 0, length: 8, type: .icmpv6Type),
            .init(name: "code", offset: 8, length: 8, type: .icmpv6Code),
            .init(name: "checksum", offset: 16, length: 16, type: .integer),
            .init(name: "parameter-problem", offset: 32, length: 32, type: .integer),
            .init(name: "mtu", offset: 32, length: 32, type: .integer),
            .init(name: "id", offset: 32, length: 16, type: .integer),
            .init(name: "sequence", offset: 48, length: 16, type: .integer),
            .init(name: "max-delay", offset: 32, length: 16, type: .integer),
        ])
    /// 802.1Q header (after the Ethernet header), in nft's template order.
    static let vlan = NFTProtoDesc(
        name: "vlan", base: 0,
        fields: [
            .init(name: "pcp", offset: 0, length: 3, type: .integer),
            .init(name: "dei", offset: 3, length: 1, type: .integer),
            .init(name: "cfi", offset: 3, length: 1, type: .integer),
            .init(name: "id", offset: 4, length: 12, type: .integer),
            .init(name: "type", offset: 16, length: 16, type: .ethertype),
        ])
    static let esp = NFTProtoDesc(
        name: "esp", base: 2,
        fields: [
            .init(name: "spi", offset: 0, length: 32, type: .integer),
            .init(name: "sequence", offset: 32, length: 32, type: .integer),
        ])
    static let ah = NFTProtoDesc(
        name: "ah", base: 2,
        fields: [
            .init(name: "nexthdr", offset: 0, length: 8, type: .inetProto),
            .init(name: "hdrlength", offset: 8, length: 8, type: .integer),
            .init(name: "reserved", offset: 16, length: 16, type: .integer),
            .init(name: "spi", offset: 32, length: 32, type: .integer),
            .init(name: "sequence", offset: 64, length: 32, type: .integer),
        ])
    static let comp = NFTProtoDesc(
        name: "comp", base: 2,
        fields: [
            .init(name: "nexthdr", offset: 0, length: 8, type: .inetProto),
            .init(name: "flags", offset: 8, length: 8, type: .bitmask),
            .init(name: "cpi", offset: 16, length: 16, type: .integer),
        ])
    static let igmp = NFTProtoDesc(
        name: "igmp", base: 2,
        fields: [
            .init(name: "type", offset: 0, length: 8, type: .igmpType),
            .init(name: "mrt", offset: 8, length: 8, type: .integer),
            .init(name: "checksum", offset: 16, length: 16, type: .integer),
            .init(name: "group", offset: 32, length: 32, type: .ipv4Addr),
        ])
    /// The generic transport header (`th`) when the protocol is unknown.
    static let th = NFTProtoDesc(name: "th", base: 2, fields: ports)

    static func transport(_ proto: UInt8?) -> NFTProtoDesc {
        switch proto {
        case 6: tcp
        case 17: udp
        case 136: udplite
        case 132: sctp
        case 33: dccp
        case 1: icmp
        case 58: icmp6
        case 50: esp
        case 51: ah
        case 108: comp
        case 2: igmp
        default: th
        }
    }

    struct MetaKey {
        let name: String
        let type: NFTDatatype
        let bigEndian: Bool
        let qualified: Bool
    }

    static func meta(_ key: UInt32) -> MetaKey {
        func m(_ n: String, _ t: NFTDatatype, be: Bool = false, q: Bool = true) -> MetaKey {
            MetaKey(name: n, type: t, bigEndian: be, qualified: q)
        }
        switch key {
        case 0: return m("length", .integer)
        case 1: return m("protocol", .ethertype, be: true)
        case 2: return m("priority", .classid)
        case 3: return m("mark", .mark)
        case 4: return m("iif", .ifindex, q: false)
        case 5: return m("oif", .ifindex, q: false)
        case 6: return m("iifname", .ifname, q: false)
        case 7: return m("oifname", .ifname, q: false)
        case 8: return m("iiftype", .arphrd)
        case 9: return m("oiftype", .arphrd)
        case 10: return m("skuid", .uid)
        case 11: return m("skgid", .gid)
        case 12: return m("nftrace", .integer)
        case 13: return m("rtclassid", .realm)
        case 14: return m("secmark", .integer)
        case 15: return m("nfproto", .nfproto, be: true)
        case 16: return m("l4proto", .inetProto, be: true)
        case 17: return m("ibrname", .ifname)
        case 18: return m("obrname", .ifname)
        case 19: return m("pkttype", .pkttype, be: true)
        case 20: return m("cpu", .integer)
        case 21: return m("iifgroup", .devgroup, q: false)
        case 22: return m("oifgroup", .devgroup, q: false)
        case 23: return m("cgroup", .integer)
        case 24: return m("random", .integer, be: true)
        case 25: return m("ipsec", .boolean)
        case 26: return m("iifkind", .ifname)
        case 27: return m("oifkind", .ifname)
        case 28: return m("ibrpvid", .integer)
        case 29: return m("ibrvproto", .ethertype, be: true)
        case 30: return m("time", .date)
        case 31: return m("day", .day)
        case 32: return m("hour", .hour)
        case 33: return m("sdif", .ifindex)
        case 34: return m("sdifname", .ifname)
        default: return m("unknown", .integer)
        }
    }

    struct CtKey {
        let name: String
        let type: NFTDatatype
        let bigEndian: Bool
    }

    /// `family` picks the address type for `saddr`/`daddr` keys.
    static func ct(_ key: UInt32, family: Family) -> CtKey {
        let addr: NFTDatatype = family == .ip6 ? .ipv6Addr : .ipv4Addr
        let l3 = family == .ip6 ? "ip6" : "ip"
        switch key {
        case 0: return CtKey(name: "state", type: .ctState, bigEndian: false)
        case 1: return CtKey(name: "direction", type: .ctDir, bigEndian: false)
        case 2: return CtKey(name: "status", type: .ctStatus, bigEndian: false)
        case 3: return CtKey(name: "mark", type: .mark, bigEndian: false)
        case 4: return CtKey(name: "secmark", type: .integer, bigEndian: false)
        case 5: return CtKey(name: "expiration", type: .time, bigEndian: false)
        case 6: return CtKey(name: "helper", type: .string, bigEndian: false)
        case 7: return CtKey(name: "l3proto", type: .nfproto, bigEndian: false)
        case 8: return CtKey(name: "\(l3) saddr", type: addr, bigEndian: true)
        case 9: return CtKey(name: "\(l3) daddr", type: addr, bigEndian: true)
        case 10: return CtKey(name: "protocol", type: .inetProto, bigEndian: true)
        case 11: return CtKey(name: "proto-src", type: .inetService, bigEndian: true)
        case 12: return CtKey(name: "proto-dst", type: .inetService, bigEndian: true)
        case 13: return CtKey(name: "label", type: .ctLabel, bigEndian: false)
        case 14: return CtKey(name: "packets", type: .integer, bigEndian: false)
        case 15: return CtKey(name: "bytes", type: .integer, bigEndian: false)
        case 16: return CtKey(name: "avgpkt", type: .integer, bigEndian: false)
        case 17: return CtKey(name: "zone", type: .integer, bigEndian: false)
        case 18: return CtKey(name: "event", type: .ctEvent, bigEndian: false)
        case 19: return CtKey(name: "ip saddr", type: .ipv4Addr, bigEndian: true)
        case 20: return CtKey(name: "ip daddr", type: .ipv4Addr, bigEndian: true)
        case 21: return CtKey(name: "ip6 saddr", type: .ipv6Addr, bigEndian: true)
        case 22: return CtKey(name: "ip6 daddr", type: .ipv6Addr, bigEndian: true)
        case 23: return CtKey(name: "id", type: .integer, bigEndian: true)
        default: return CtKey(name: "unknown", type: .integer, bigEndian: false)
        }
    }

    /// TCP option names and their fields (`tcpopt.c`), by kind.
    static func tcpOption(kind: UInt8) -> (String, [(Int, Int, String)]) {
        switch kind {
        case 0: ("eol", [(0, 8, "kind")])
        case 1: ("nop", [(0, 8, "kind")])
        case 2: ("maxseg", [(0, 8, "kind"), (8, 8, "length"), (16, 16, "size")])
        case 3: ("window", [(0, 8, "kind"), (8, 8, "length"), (16, 8, "count")])
        case 4: ("sack-perm", [(0, 8, "kind"), (8, 8, "length")])
        case 5: ("sack", [(0, 8, "kind"), (8, 8, "length"), (16, 32, "left"), (48, 32, "right")])
        case 8: ("timestamp", [(0, 8, "kind"), (8, 8, "length"), (16, 32, "tsval"), (48, 32, "tsecr")])
        default: (String(kind), [(0, 8, "kind"), (8, 8, "length")])
        }
    }

    /// SCTP chunk names and fields (`sctp_chunk.c`), by chunk type.
    static func sctpChunk(type: UInt8) -> (String, [(Int, Int, String)]) {
        let common: [(Int, Int, String)] = [(0, 8, "type"), (8, 8, "flags"), (16, 16, "length")]
        let names: [UInt8: String] = [
            0: "data", 1: "init", 2: "init-ack", 3: "sack", 4: "heartbeat", 5: "heartbeat-ack", 6: "abort",
            7: "shutdown", 8: "shutdown-ack", 9: "error", 10: "cookie-echo", 11: "cookie-ack", 12: "ecne", 13: "cwr",
            14: "shutdown-complete", 128: "asconf-ack", 192: "forward-tsn", 193: "asconf",
        ]
        let extra: [(Int, Int, String)] =
            switch type {
            case 0: [(32, 32, "tsn"), (64, 16, "stream"), (80, 16, "ssn"), (96, 32, "ppid")]
            case 1, 2:
                [(32, 32, "init-tag"), (64, 32, "a-rwnd"), (96, 16, "num-outbound-streams"),
                 (112, 16, "num-inbound-streams"), (128, 32, "initial-tsn")]
            case 3: [(32, 32, "cum-tsn-ack"), (64, 32, "a-rwnd"), (96, 16, "num-gap-ack-blocks"), (112, 16, "num-dup-tsns")]
            case 7: [(32, 32, "cum-tsn-ack")]
            case 12, 13: [(32, 32, "lowest-tsn")]
            case 128, 193: [(32, 32, "seqno")]
            case 192: [(32, 32, "new-cum-tsn")]
            default: []
            }
        return (names[type] ?? String(type), common + extra)
    }

    static func ipOption(type: UInt8) -> String {
        switch type {
        case 7: "rr"
        case 131: "lsrr"
        case 137: "ssrr"
        case 148: "ra"
        default: String(type)
        }
    }

    static func ipv6Exthdr(type: UInt8) -> (String, [(Int, Int, String, NFTDatatype)]) {
        switch type {
        case 0: ("hbh", [(0, 8, "nexthdr", .inetProto), (8, 8, "hdrlength", .integer)])
        case 43:
            ("rt", [(0, 8, "nexthdr", .inetProto), (8, 8, "hdrlength", .integer), (16, 8, "type", .integer),
                    (24, 8, "seg-left", .integer)])
        case 44:
            ("frag", [(0, 8, "nexthdr", .inetProto), (8, 8, "reserved", .integer), (16, 13, "frag-off", .integer),
                      (29, 2, "reserved2", .integer), (31, 1, "more-fragments", .integer), (32, 32, "id", .integer)])
        case 60: ("dst", [(0, 8, "nexthdr", .inetProto), (8, 8, "hdrlength", .integer)])
        case 135: ("mh", [(0, 8, "nexthdr", .inetProto), (8, 8, "hdrlength", .integer), (16, 8, "type", .mhType),
                          (24, 8, "reserved", .integer), (32, 16, "checksum", .integer)])
        default: (String(type), [])
        }
    }
}
