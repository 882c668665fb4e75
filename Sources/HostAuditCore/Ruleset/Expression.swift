/// One nf_tables expression of a rule, as the kernel holds it.
///
/// One case per expression the model decodes; anything else is kept as
/// `opaque` with its name and raw attributes, never dropped.
public indirect enum Expression: Sendable, Equatable {
    case meta(Meta)
    case payload(Payload)
    case cmp(Cmp)
    case bitwise(Bitwise)
    case range(Range)
    case lookup(Lookup)
    case immediate(Immediate)
    case counter(Counter)
    case ct(Ct)
    case reject(Reject)
    case log(Log)
    case limit(Limit)
    case quota(Quota)
    case nat(Nat)
    case masq(Masq)
    case redir(Redir)
    case queue(Queue)
    case dynset(Dynset)
    case objref(Objref)
    case fib(Fib)
    case socket(Socket)
    case exthdr(Exthdr)
    // The expressions below have one file each in `Ruleset/Expressions/`
    // (model, decompile step, and how text, JSON and the verdict treat them).
    case byteorder(Byteorder)
    case notrack
    case connlimit(Connlimit)
    case numgen(Numgen)
    case hash(Hash)
    case osf(Osf)
    case rt(Rt)
    case xfrm(Xfrm)
    case synproxy(Synproxy)
    case dup(Dup)
    case fwd(Fwd)
    case tproxy(Tproxy)
    case flowOffload(FlowOffload)
    /// An x_tables match (iptables-nft): name, revision and the raw `xt_*` info struct.
    case match(XT)
    /// An x_tables target (iptables-nft).
    case target(XT)
    /// An expression the model does not decode.
    case opaque(name: String, attributes: [RawAttribute])

    /// The kernel's expression name (`"meta"`, `"payload"`, …).
    public var name: String {
        switch self {
        case .meta: "meta"
        case .payload: "payload"
        case .cmp: "cmp"
        case .bitwise: "bitwise"
        case .range: "range"
        case .lookup: "lookup"
        case .immediate: "immediate"
        case .counter: "counter"
        case .ct: "ct"
        case .reject: "reject"
        case .log: "log"
        case .limit: "limit"
        case .quota: "quota"
        case .nat: "nat"
        case .masq: "masq"
        case .redir: "redir"
        case .queue: "queue"
        case .dynset: "dynset"
        case .objref: "objref"
        case .fib: "fib"
        case .socket: "socket"
        case .exthdr: "exthdr"
        case .byteorder: "byteorder"
        case .notrack: "notrack"
        case .connlimit: "connlimit"
        case .numgen: "numgen"
        case .hash: "hash"
        case .osf: "osf"
        case .rt: "rt"
        case .xfrm: "xfrm"
        case .synproxy: "synproxy"
        case .dup: "dup"
        case .fwd: "fwd"
        case .tproxy: "tproxy"
        case .flowOffload: "flow_offload"
        case .match: "match"
        case .target: "target"
        case .opaque(let name, _): name
        }
    }

    public var isOpaque: Bool { if case .opaque = self { return true }; return false }
}

/// One attribute of an undecoded expression: libnftnl's attribute number and its bytes.
public struct RawAttribute: Sendable, Equatable, Encodable {
    public var id: UInt16
    public var bytes: [UInt8]
    public init(id: UInt16, bytes: [UInt8]) {
        self.id = id
        self.bytes = bytes
    }
}

extension Expression {
    public struct Meta: Sendable, Equatable, Encodable {
        /// `NFT_META_*` (3 mark, 4 iif, 5 oif, 6 iifname, 7 oifname, 15 nfproto, 16 l4proto, …).
        public var key: UInt32
        /// Set when loading the value into a register.
        public var dreg: Register?
        /// Set when writing the packet's meta data (`meta mark set …`).
        public var sreg: Register?
        public init(key: UInt32, dreg: Register? = nil, sreg: Register? = nil) {
            self.key = key
            self.dreg = dreg
            self.sreg = sreg
        }
    }

    public struct Payload: Sendable, Equatable, Encodable {
        /// `NFT_PAYLOAD_*`: 0 link layer, 1 network, 2 transport, 3 inner.
        public var base: UInt32
        /// Bytes from the start of the header.
        public var offset: UInt32
        public var length: UInt32
        public var dreg: Register?
        /// The write form (`… set …`) uses a source register and checksum fields.
        public var sreg: Register?
        public var checksumType: UInt32?
        public var checksumOffset: UInt32?
        public var flags: UInt32?
        public init(
            base: UInt32, offset: UInt32, length: UInt32, dreg: Register? = nil, sreg: Register? = nil,
            checksumType: UInt32? = nil, checksumOffset: UInt32? = nil, flags: UInt32? = nil
        ) {
            self.base = base
            self.offset = offset
            self.length = length
            self.dreg = dreg
            self.sreg = sreg
            self.checksumType = checksumType
            self.checksumOffset = checksumOffset
            self.flags = flags
        }
    }

    public enum CmpOp: Sendable, Hashable, Encodable {
        case eq, neq, lt, lte, gt, gte
        case other(UInt32)
        public init(raw: UInt32) {
            switch raw {
            case 0: self = .eq
            case 1: self = .neq
            case 2: self = .lt
            case 3: self = .lte
            case 4: self = .gt
            case 5: self = .gte
            default: self = .other(raw)
            }
        }
        public var symbol: String {
            if case .other(let v) = self { return "op(\(v))" }
            return NFTRelOp(self)?.token ?? ""
        }
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            try c.encode(symbol)
        }
    }

    public struct Cmp: Sendable, Equatable, Encodable {
        public var sreg: Register
        public var op: CmpOp
        public var data: [UInt8]
        public init(sreg: Register, op: CmpOp, data: [UInt8]) {
            self.sreg = sreg
            self.op = op
            self.data = data
        }
    }

    public struct Bitwise: Sendable, Equatable, Encodable {
        public var sreg: Register
        public var dreg: Register
        public var length: UInt32
        /// `NFT_BITWISE_BOOL` 0 (mask/xor), `LSHIFT` 1, `RSHIFT` 2.
        public var op: UInt32
        public var mask: [UInt8]?
        public var xor: [UInt8]?
        /// Shift amount for the shift operations.
        public var data: [UInt8]?
        public init(
            sreg: Register, dreg: Register, length: UInt32, op: UInt32 = 0, mask: [UInt8]? = nil, xor: [UInt8]? = nil,
            data: [UInt8]? = nil
        ) {
            self.sreg = sreg
            self.dreg = dreg
            self.length = length
            self.op = op
            self.mask = mask
            self.xor = xor
            self.data = data
        }
    }

    public struct Range: Sendable, Equatable, Encodable {
        public var sreg: Register
        /// `NFT_RANGE_EQ` 0 or `NFT_RANGE_NEQ` 1.
        public var op: UInt32
        public var from: [UInt8]
        public var to: [UInt8]
        public init(sreg: Register, op: UInt32, from: [UInt8], to: [UInt8]) {
            self.sreg = sreg
            self.op = op
            self.from = from
            self.to = to
        }
        public var isNegated: Bool { op == 1 }
    }

    public struct Lookup: Sendable, Equatable, Encodable {
        public var set: String
        public var setID: UInt32?
        public var sreg: Register
        /// Present only for maps; the verdict register for verdict maps.
        public var dreg: Register?
        public var flags: UInt32
        public init(set: String, setID: UInt32? = nil, sreg: Register, dreg: Register? = nil, flags: UInt32 = 0) {
            self.set = set
            self.setID = setID
            self.sreg = sreg
            self.dreg = dreg
            self.flags = flags
        }
        /// `NFT_LOOKUP_F_INV` (`!= @set`).
        public var isInverted: Bool { flags & 1 != 0 }
        public var isVerdictMap: Bool { dreg?.isVerdict ?? false }
    }

    public struct Immediate: Sendable, Equatable, Encodable {
        public var dreg: Register
        /// When `dreg` is the verdict register.
        public var verdict: Verdict?
        /// Otherwise the value loaded (e.g. a NAT address).
        public var data: [UInt8]?
        public init(dreg: Register, verdict: Verdict? = nil, data: [UInt8]? = nil) {
            self.dreg = dreg
            self.verdict = verdict
            self.data = data
        }
    }

    public struct Counter: Sendable, Equatable, Encodable {
        public var packets: UInt64
        public var bytes: UInt64
        public init(packets: UInt64, bytes: UInt64) {
            self.packets = packets
            self.bytes = bytes
        }
    }

    public struct Ct: Sendable, Equatable, Encodable {
        /// `NFT_CT_*` (0 state, 1 direction, 2 status, 3 mark, …).
        public var key: UInt32
        public var dreg: Register?
        public var sreg: Register?
        /// 0 original, 1 reply, when given.
        public var direction: UInt8?
        public init(key: UInt32, dreg: Register? = nil, sreg: Register? = nil, direction: UInt8? = nil) {
            self.key = key
            self.dreg = dreg
            self.sreg = sreg
            self.direction = direction
        }
    }

    public struct Reject: Sendable, Equatable, Encodable {
        /// `NFT_REJECT_*`: 0 ICMP unreachable, 1 TCP RST, 2 ICMPX unreachable.
        public var type: UInt32
        public var code: UInt8
        public init(type: UInt32, code: UInt8) {
            self.type = type
            self.code = code
        }
    }

    public struct Log: Sendable, Equatable, Encodable {
        public var prefix: String?
        public var group: UInt16?
        public var snaplen: UInt32?
        public var queueThreshold: UInt16?
        /// Syslog level (6 = info).
        public var level: UInt32?
        public var flags: UInt32?
        public init(
            prefix: String? = nil, group: UInt16? = nil, snaplen: UInt32? = nil, queueThreshold: UInt16? = nil,
            level: UInt32? = nil, flags: UInt32? = nil
        ) {
            self.prefix = prefix
            self.group = group
            self.snaplen = snaplen
            self.queueThreshold = queueThreshold
            self.level = level
            self.flags = flags
        }
    }

    public struct Limit: Sendable, Equatable, Encodable {
        public var rate: UInt64
        /// Seconds per `rate`.
        public var unit: UInt64
        public var burst: UInt32
        /// `NFT_LIMIT_PKTS` 0 or `NFT_LIMIT_PKT_BYTES` 1.
        public var type: UInt32
        public var flags: UInt32
        public init(rate: UInt64, unit: UInt64, burst: UInt32, type: UInt32, flags: UInt32) {
            self.rate = rate
            self.unit = unit
            self.burst = burst
            self.type = type
            self.flags = flags
        }
        public var isInverted: Bool { flags & 1 != 0 }
    }

    public struct Quota: Sendable, Equatable, Encodable {
        public var bytes: UInt64
        public var consumed: UInt64
        /// `NFT_QUOTA_F_INV` 1 (`over`), `NFT_QUOTA_F_DEPLETED` 2.
        public var flags: UInt32
        public init(bytes: UInt64, consumed: UInt64, flags: UInt32) {
            self.bytes = bytes
            self.consumed = consumed
            self.flags = flags
        }
    }

    public struct Nat: Sendable, Equatable, Encodable {
        /// `NFT_NAT_SNAT` 0, `NFT_NAT_DNAT` 1.
        public var type: UInt32
        public var family: Family?
        public var addressMin: Register?
        public var addressMax: Register?
        public var protoMin: Register?
        public var protoMax: Register?
        public var flags: UInt32?
        public init(
            type: UInt32, family: Family? = nil, addressMin: Register? = nil, addressMax: Register? = nil,
            protoMin: Register? = nil, protoMax: Register? = nil, flags: UInt32? = nil
        ) {
            self.type = type
            self.family = family
            self.addressMin = addressMin
            self.addressMax = addressMax
            self.protoMin = protoMin
            self.protoMax = protoMax
            self.flags = flags
        }
        public var isSNAT: Bool { type == 0 }
    }

    /// `masq` and `redir`: NAT to an address of this host (the outgoing
    /// interface's, or the incoming one's), with an optional port range.
    public struct LocalNat: Sendable, Equatable, Encodable {
        public var flags: UInt32?
        public var protoMin: Register?
        public var protoMax: Register?
        public init(flags: UInt32? = nil, protoMin: Register? = nil, protoMax: Register? = nil) {
            self.flags = flags
            self.protoMin = protoMin
            self.protoMax = protoMax
        }
    }
    public typealias Masq = LocalNat
    public typealias Redir = LocalNat

    public struct Queue: Sendable, Equatable, Encodable {
        public var number: UInt16
        public var total: UInt16
        /// `NFT_QUEUE_FLAG_BYPASS` 1, `_CPU_FANOUT` 2.
        public var flags: UInt16
        public var sregQueueNumber: Register?
        public init(number: UInt16, total: UInt16, flags: UInt16, sregQueueNumber: Register? = nil) {
            self.number = number
            self.total = total
            self.flags = flags
            self.sregQueueNumber = sregQueueNumber
        }
    }

    public struct Dynset: Sendable, Equatable, Encodable {
        public var set: String
        public var setID: UInt32?
        /// `NFT_DYNSET_OP_ADD` 0, `_UPDATE` 1, `_DELETE` 2.
        public var op: UInt32
        public var sregKey: Register
        public var sregData: Register?
        /// Milliseconds.
        public var timeout: UInt64?
        public var flags: UInt32?
        /// Stateful expressions attached to the added element (e.g. `limit`, `counter`).
        public var expressions: [Expression]
        public init(
            set: String, setID: UInt32? = nil, op: UInt32, sregKey: Register, sregData: Register? = nil,
            timeout: UInt64? = nil, flags: UInt32? = nil, expressions: [Expression] = []
        ) {
            self.set = set
            self.setID = setID
            self.op = op
            self.sregKey = sregKey
            self.sregData = sregData
            self.timeout = timeout
            self.flags = flags
            self.expressions = expressions
        }
    }

    public struct Objref: Sendable, Equatable, Encodable {
        /// `NFT_OBJECT_*` of a directly named object.
        public var type: UInt32?
        public var name: String?
        /// Or an object map lookup: key register and map name.
        public var sreg: Register?
        public var set: String?
        public var setID: UInt32?
        public init(
            type: UInt32? = nil, name: String? = nil, sreg: Register? = nil, set: String? = nil, setID: UInt32? = nil
        ) {
            self.type = type
            self.name = name
            self.sreg = sreg
            self.set = set
            self.setID = setID
        }
    }

    public struct Fib: Sendable, Equatable, Encodable {
        public var dreg: Register
        /// `NFT_FIB_RESULT_*`: 1 oif, 2 oifname, 3 addrtype.
        public var result: UInt32
        /// `NFTA_FIB_F_*`: saddr 1, daddr 2, mark 4, iif 8, oif 16, present 32.
        public var flags: UInt32
        public init(dreg: Register, result: UInt32, flags: UInt32) {
            self.dreg = dreg
            self.result = result
            self.flags = flags
        }
    }

    public struct Socket: Sendable, Equatable, Encodable {
        /// `NFT_SOCKET_*`: 0 transparent, 1 mark, 2 wildcard, 3 cgroupv2.
        public var key: UInt32
        public var dreg: Register
        public var level: UInt32?
        public init(key: UInt32, dreg: Register, level: UInt32? = nil) {
            self.key = key
            self.dreg = dreg
            self.level = level
        }
    }

    public struct Exthdr: Sendable, Equatable, Encodable {
        /// The extension header / option type (e.g. a TCP option kind).
        public var type: UInt8
        public var offset: UInt32
        public var length: UInt32
        /// `NFT_EXTHDR_F_PRESENT` 1.
        public var flags: UInt32
        /// `NFT_EXTHDR_OP_*`: 0 ipv6, 1 tcpopt, 2 ipv4, 3 sctp, 4 dccp.
        public var op: UInt32
        public var dreg: Register?
        public var sreg: Register?
        public init(
            type: UInt8, offset: UInt32, length: UInt32, flags: UInt32, op: UInt32, dreg: Register? = nil,
            sreg: Register? = nil
        ) {
            self.type = type
            self.offset = offset
            self.length = length
            self.flags = flags
            self.op = op
            self.dreg = dreg
            self.sreg = sreg
        }
    }

    /// An x_tables extension carried in an nf_tables rule (iptables-nft).
    public struct XT: Sendable, Equatable, Encodable {
        public var name: String
        public var revision: UInt32
        /// The kernel's `xt_*` info struct for (name, revision), XT_ALIGN-padded.
        public var info: [UInt8]
        public init(name: String, revision: UInt32, info: [UInt8]) {
            self.name = name
            self.revision = revision
            self.info = info
        }
    }
}

extension Expression: Encodable {
    private enum CodingKeys: String, CodingKey { case expr, attributes }

    /// `{"expr": "<name>", …fields of the expression}` (not `type`: several
    /// expressions have a field of that name).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .expr)
        switch self {
        case .meta(let v): try v.encode(to: encoder)
        case .payload(let v): try v.encode(to: encoder)
        case .cmp(let v): try v.encode(to: encoder)
        case .bitwise(let v): try v.encode(to: encoder)
        case .range(let v): try v.encode(to: encoder)
        case .lookup(let v): try v.encode(to: encoder)
        case .immediate(let v): try v.encode(to: encoder)
        case .counter(let v): try v.encode(to: encoder)
        case .ct(let v): try v.encode(to: encoder)
        case .reject(let v): try v.encode(to: encoder)
        case .log(let v): try v.encode(to: encoder)
        case .limit(let v): try v.encode(to: encoder)
        case .quota(let v): try v.encode(to: encoder)
        case .nat(let v): try v.encode(to: encoder)
        case .masq(let v): try v.encode(to: encoder)
        case .redir(let v): try v.encode(to: encoder)
        case .queue(let v): try v.encode(to: encoder)
        case .dynset(let v): try v.encode(to: encoder)
        case .objref(let v): try v.encode(to: encoder)
        case .fib(let v): try v.encode(to: encoder)
        case .socket(let v): try v.encode(to: encoder)
        case .exthdr(let v): try v.encode(to: encoder)
        case .byteorder(let v): try v.encode(to: encoder)
        case .notrack: break
        case .connlimit(let v): try v.encode(to: encoder)
        case .numgen(let v): try v.encode(to: encoder)
        case .hash(let v): try v.encode(to: encoder)
        case .osf(let v): try v.encode(to: encoder)
        case .rt(let v): try v.encode(to: encoder)
        case .xfrm(let v): try v.encode(to: encoder)
        case .synproxy(let v): try v.encode(to: encoder)
        case .dup(let v): try v.encode(to: encoder)
        case .fwd(let v): try v.encode(to: encoder)
        case .tproxy(let v): try v.encode(to: encoder)
        case .flowOffload(let v): try v.encode(to: encoder)
        case .match(let v), .target(let v): try v.encode(to: encoder)
        case .opaque(_, let attributes): try c.encode(attributes, forKey: .attributes)
        }
    }
}
