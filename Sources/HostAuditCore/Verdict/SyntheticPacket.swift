/// Bytes some of which are unknown (an ephemeral port, a checksum, a TTL).
struct MaybeBytes: Sendable, Hashable {
    var value: [UInt8]
    var known: [Bool]

    init(_ value: [UInt8], known: Bool = true) {
        self.value = value
        self.known = [Bool](repeating: known, count: value.count)
    }

    static func unknown(_ count: Int) -> MaybeBytes { MaybeBytes([UInt8](repeating: 0, count: count), known: false) }

    var isKnown: Bool { !known.contains(false) }

    mutating func replace(at offset: Int, with other: MaybeBytes) {
        for i in 0..<other.value.count where offset + i < value.count {
            value[offset + i] = other.value[i]
            known[offset + i] = other.known[i]
        }
    }

    mutating func markUnknown(_ range: Swift.Range<Int>) {
        for i in range where i < known.count { known[i] = false }
    }

    /// `count` bytes from `offset`; bytes past the end are unknown (the real
    /// packet may carry options or payload there).
    func slice(_ offset: Int, _ count: Int) -> MaybeBytes {
        var out = MaybeBytes.unknown(count)
        for i in 0..<count where offset + i < value.count {
            out.value[i] = value[offset + i]
            out.known[i] = known[offset + i]
        }
        return out
    }
}

/// The first packet of the flow as netfilter sees it on the output path:
/// network and transport header bytes plus the skb/socket metadata. NAT and
/// mangling statements change it for later chains.
struct SyntheticPacket: Sendable {
    var nfproto: UInt8
    var l4proto: UInt8
    var network: MaybeBytes
    var transport: MaybeBytes
    var mark: UInt32?
    var oifIndex: UInt32?
    var oifName: String?
    var uid: UInt32?
    var gid: UInt32?
    /// The input interface: none ("", 0) on the output path.
    var iifIndex: UInt32? = 0
    var iifName: String? = ""
    /// An answer coming back (prerouting, input) rather than the first packet going out.
    var isReply = false
    /// The first packet of a new connection coming in to a local socket (prerouting, input).
    var isInbound = false
    /// Whether the packet takes the input path (prerouting, then input).
    var onInputPath: Bool { isReply || isInbound }
    /// `NF_CT_STATE_BIT` of the packet's conntrack info once it has an entry:
    /// new (8) going out, established (2) for an answer, related (4) for an ICMP error.
    var ctStateBit: UInt32 = 1 << 3
    /// Conntrack: the original tuple as recorded when the entry was created.
    var originalNetwork: MaybeBytes
    var originalTransport: MaybeBytes
    var ctMark: UInt32 = 0
    var untracked = false
    var dnatDone = false
    var snatDone = false

    init(flow: VerdictFlow) {
        nfproto = flow.nfproto
        l4proto = flow.proto.number
        let src = flow.source.map { MaybeBytes($0.bytes) } ?? .unknown(flow.isIPv6 ? 16 : 4)
        let dst = MaybeBytes(flow.destination.bytes)
        if flow.isIPv6 {
            // version/traffic class/flow label (auto flow labels: unknown), payload length,
            // next header, hop limit, saddr, daddr.
            var nh = MaybeBytes([0x60, 0, 0, 0, 0, 0, flow.proto.number, 0] + [UInt8](repeating: 0, count: 32))
            nh.markUnknown(1..<6)
            nh.markUnknown(7..<8)
            nh.replace(at: 8, with: src)
            nh.replace(at: 24, with: dst)
            network = nh
        } else {
            // 0x45, tos 0, total length, id, DF/fragment, ttl, protocol, checksum, saddr, daddr.
            var nh = MaybeBytes([0x45, 0, 0, 0, 0, 0, 0, 0, 0, flow.proto.number, 0, 0] + [UInt8](repeating: 0, count: 8))
            nh.markUnknown(2..<9)
            nh.markUnknown(10..<12)
            nh.replace(at: 12, with: src)
            nh.replace(at: 16, with: dst)
            network = nh
        }
        let sport = flow.sourcePort.map { MaybeBytes([UInt8($0 >> 8), UInt8($0 & 0xff)]) } ?? .unknown(2)
        let dport = MaybeBytes([UInt8(flow.destinationPort >> 8), UInt8(flow.destinationPort & 0xff)])
        if flow.proto == .tcp {
            // sport, dport, seq, ack 0, data offset (options: unknown), flags SYN, window, checksum, urgent 0.
            var th = MaybeBytes([UInt8](repeating: 0, count: 20))
            th.replace(at: 0, with: sport)
            th.replace(at: 2, with: dport)
            th.markUnknown(4..<8)
            th.markUnknown(12..<13)
            th.value[13] = 0x02
            th.markUnknown(14..<18)
            transport = th
        } else {
            var th = MaybeBytes([UInt8](repeating: 0, count: 8))
            th.replace(at: 0, with: sport)
            th.replace(at: 2, with: dport)
            th.markUnknown(4..<8)
            transport = th
        }
        mark = flow.mark
        oifIndex = flow.outputInterfaceIndex
        oifName = flow.outputInterface
        uid = flow.uid
        gid = flow.gid
        originalNetwork = network
        originalTransport = transport
    }

    /// The answer to `flow`: from its destination (unknown for an ICMP error,
    /// which any router may send) to its source, arriving on its output
    /// interface, tracked as established (related for an ICMP error). The
    /// original conntrack tuple is the outbound flow's.
    init(replyTo flow: VerdictFlow, kind: ReplyKind, sourceNATed: Bool) {
        let out = SyntheticPacket(flow: flow)
        self = out
        isReply = true
        let v6 = flow.isIPv6
        let addrLen = v6 ? 16 : 4
        let ours = sourceNATed ? MaybeBytes.unknown(addrLen) : out.saddr
        let theirs = kind == .icmpError ? MaybeBytes.unknown(addrLen) : out.daddr
        setSaddr(theirs)
        setDaddr(ours)
        switch kind {
        case .synAck, .reset:
            var th = out.transport
            th.replace(at: 0, with: out.dport)
            th.replace(at: 2, with: sourceNATed ? .unknown(2) : out.sport)
            th.markUnknown(8..<12)  // ack number
            th.value[13] = kind == .synAck ? 0x12 : 0x14
            th.known[13] = true
            if kind == .reset {
                // An RST carries no window or options.
                th.replace(at: 12, with: MaybeBytes([0x50]))
                th.replace(at: 14, with: MaybeBytes([0, 0]))
            }
            transport = th
            ctStateBit = 1 << 1
        case .icmpError:
            // Destination unreachable: type 3 (ICMPv6: 1), any code; checksum and rest unknown.
            l4proto = v6 ? 58 : 1
            network.replace(at: v6 ? 6 : 9, with: MaybeBytes([l4proto]))
            var th = MaybeBytes([v6 ? 1 : 3, 0, 0, 0, 0, 0, 0, 0])
            th.markUnknown(1..<8)
            transport = th
            ctStateBit = 1 << 2
        }
        mark = 0
        uid = nil  // early demux may attach the socket on input; whether it did is not known
        gid = nil
        iifIndex = flow.outputInterfaceIndex
        iifName = flow.outputInterface
        oifIndex = 0
        oifName = ""
        originalNetwork = out.network
        originalTransport = out.transport
    }

    /// The first packet of a new connection from `flow.source` to a local
    /// socket at `flow.destination`:`flow.destinationPort`, received on the
    /// given interface (nil: unknown). A received packet carries no mark and
    /// no socket yet; conntrack tracks it as new.
    init(inbound flow: VerdictFlow, inputInterface: String?, inputInterfaceIndex: UInt32?) {
        self = SyntheticPacket(flow: flow)
        isInbound = true
        mark = 0
        uid = nil
        gid = nil
        iifIndex = inputInterfaceIndex
        iifName = inputInterface
        oifIndex = 0
        oifName = ""
    }

    var isIPv6: Bool { nfproto == 10 }

    /// The TCP flags byte (0 for other protocols).
    var tcpFlags: UInt8 { l4proto == 6 && transport.value.count > 13 ? transport.value[13] : 0 }
    var saddr: MaybeBytes { isIPv6 ? network.slice(8, 16) : network.slice(12, 4) }
    var daddr: MaybeBytes { isIPv6 ? network.slice(24, 16) : network.slice(16, 4) }
    var sport: MaybeBytes { transport.slice(0, 2) }
    var dport: MaybeBytes { transport.slice(2, 2) }

    mutating func setSaddr(_ b: MaybeBytes) { network.replace(at: isIPv6 ? 8 : 12, with: b) }
    mutating func setDaddr(_ b: MaybeBytes) { network.replace(at: isIPv6 ? 24 : 16, with: b) }
    mutating func setSport(_ b: MaybeBytes) { transport.replace(at: 0, with: b) }
    mutating func setDport(_ b: MaybeBytes) { transport.replace(at: 2, with: b) }

    /// Known 16-bit port value, or nil.
    static func port(_ b: MaybeBytes) -> UInt16? {
        guard b.isKnown, b.value.count == 2 else { return nil }
        return UInt16(b.value[0]) << 8 | UInt16(b.value[1])
    }
}
