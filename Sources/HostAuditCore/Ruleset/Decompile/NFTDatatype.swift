/// nft's datatypes (`datatype.c`): how a value of a field is named and printed.
package enum NFTDatatype: Sendable, Equatable {
    case invalid, verdict, nfproto, bitmask, integer, string, lladdr, ipv4Addr, ipv6Addr, etherAddr
    case ethertype, arpop, inetProto, inetService, icmpType, tcpFlag, dccpPkttype, mhType, time, mark
    case ifindex, arphrd, realm, classid, uid, gid, ctState, ctDir, ctStatus, icmpv6Type, ctLabel
    case pkttype, icmpCode, icmpv6Code, icmpxCode, devgroup, dscp, ecn, fibAddr, boolean, ctEvent
    case ifname, igmpType, cgroupv2
    /// `meta time` (nanoseconds since the epoch), `meta hour` (seconds since
    /// midnight UTC), `meta day` (0 = Sunday): TYPE_TIME_DATE/_HOUR/_DAY.
    case date, hour, day
    /// An integer nft prints in hex (`xinteger`, raw payload values).
    case xinteger
    /// A concatenation of several types (`ipv4_addr . inet_service`).
    indirect case concat([NFTDatatype])

    /// From nft's datatype id (`TYPE_*`), with concatenations packed 6 bits apart.
    package init(id: UInt32) {
        if id == NFTSet.verdictDataType { self = .verdict; return }
        // Up to five 6-bit fields (30 bits); anything wider is not a type nft builds.
        if id >= 1 << 30 { self = .invalid; return }
        if id >= 64 {
            var parts: [NFTDatatype] = []
            var v = id
            while v > 0 {
                parts.insert(NFTDatatype(single: v & 0x3f), at: 0)
                v >>= 6
            }
            self = .concat(parts)
            return
        }
        self = NFTDatatype(single: id)
    }

    init(single id: UInt32) {
        let table: [NFTDatatype] = [
            .invalid, .verdict, .nfproto, .bitmask, .integer, .string, .lladdr, .ipv4Addr, .ipv6Addr, .etherAddr,
            .ethertype, .arpop, .inetProto, .inetService, .icmpType, .tcpFlag, .dccpPkttype, .mhType, .time, .mark,
            .ifindex, .arphrd, .realm, .classid, .uid, .gid, .ctState, .ctDir, .ctStatus, .icmpv6Type, .ctLabel,
            .pkttype, .icmpCode, .icmpv6Code, .icmpxCode, .devgroup, .dscp, .ecn, .fibAddr, .boolean, .ctEvent,
            .ifname, .igmpType,
        ]
        let late: [UInt32: NFTDatatype] = [43: .date, 44: .hour, 45: .day, 46: .cgroupv2]
        self = Int(id) < table.count ? table[Int(id)] : (late[id] ?? .integer)
    }

    package var name: String {
        switch self {
        case .invalid: "invalid"
        case .verdict: "verdict"
        case .nfproto: "nf_proto"
        case .bitmask: "bitmask"
        case .integer: "integer"
        case .string: "string"
        case .lladdr: "ll_addr"
        case .ipv4Addr: "ipv4_addr"
        case .ipv6Addr: "ipv6_addr"
        case .etherAddr: "ether_addr"
        case .ethertype: "ether_type"
        case .arpop: "arp_op"
        case .inetProto: "inet_proto"
        case .inetService: "inet_service"
        case .icmpType: "icmp_type"
        case .tcpFlag: "tcp_flag"
        case .dccpPkttype: "dccp_pkttype"
        case .mhType: "mh_type"
        case .time: "time"
        case .mark: "mark"
        case .ifindex: "iface_index"
        case .arphrd: "iface_type"
        case .realm: "realm"
        case .classid: "classid"
        case .uid: "uid"
        case .gid: "gid"
        case .ctState: "ct_state"
        case .ctDir: "ct_dir"
        case .ctStatus: "ct_status"
        case .icmpv6Type: "icmpv6_type"
        case .ctLabel: "ct_label"
        case .pkttype: "pkt_type"
        case .icmpCode: "icmp_code"
        case .icmpv6Code: "icmpv6_code"
        case .icmpxCode: "icmpx_code"
        case .devgroup: "devgroup"
        case .dscp: "dscp"
        case .ecn: "ecn"
        case .fibAddr: "fib_addrtype"
        case .boolean: "boolean"
        case .ctEvent: "ct_event"
        case .ifname: "ifname"
        case .igmpType: "igmp_type"
        case .cgroupv2: "cgroupsv2"
        case .date: "time"
        case .hour: "hour"
        case .day: "day"
        case .xinteger: "integer"
        case .concat(let parts): parts.map(\.name).joined(separator: " . ")
        }
    }

    /// Whether values of this type are kept in network byte order when nft
    /// builds them itself (set keys).
    var isBigEndian: Bool {
        switch self {
        case .ipv4Addr, .ipv6Addr, .etherAddr, .lladdr, .inetService, .ethertype, .arpop, .icmpType, .icmpCode,
            .icmpv6Type, .icmpv6Code, .icmpxCode, .inetProto, .tcpFlag, .dccpPkttype, .mhType, .dscp, .ecn,
            .igmpType, .nfproto, .boolean, .pkttype:
            true
        default: false
        }
    }

    /// Bits of one value, where fixed.
    var bitLength: Int? {
        switch self {
        case .ipv4Addr: 32
        case .ipv6Addr: 128
        case .etherAddr: 48
        case .inetService, .ethertype, .arpop, .arphrd: 16
        case .inetProto, .icmpType, .icmpCode, .icmpv6Type, .icmpv6Code, .icmpxCode, .tcpFlag, .nfproto, .pkttype,
            .dccpPkttype, .mhType, .igmpType, .ctDir:
            8
        case .mark, .ifindex, .realm, .classid, .uid, .gid, .ctState, .ctStatus, .devgroup, .fibAddr, .ctEvent:
            32
        case .ifname: 128
        case .ctLabel: 128
        case .time, .date: 64
        case .day: 8
        case .hour: 32
        case .dscp: 6
        case .ecn: 2
        case .boolean: 1
        default: nil
        }
    }

    /// Padded size in bytes of one component inside a concatenation.
    var byteLength: Int { ((bitLength ?? 32) + 7) / 8 }

    /// The interval/prefix printing of nft's `calculate_delim`: elements per line in set listings.
    var elementsPerLine: Int? {
        switch self {
        case .nfproto, .integer, .arpop, .inetProto, .inetService, .tcpFlag, .dccpPkttype, .mark, .ifindex,
            .classid, .uid, .gid, .ctDir:
            5
        case .ipv4Addr, .ctState, .ctStatus, .pkttype: 2
        default: nil
        }
    }
}
