/// An nf_tables set or map (named or anonymous) with its elements.
public struct NFTSet: Sendable, Equatable, Encodable {
    public var family: Family
    public var table: String
    public var name: String
    public var handle: UInt64
    public var flags: Flags
    /// nft's datatype id of the key (7 ipv4_addr, 13 inet_service; concatenations
    /// pack ids 6 bits apart: `(a << 6) | b`).
    public var keyType: UInt32?
    public var keyLength: UInt32?
    /// For maps: the data type (`NFTSet.verdictDataType` for verdict maps).
    public var dataType: UInt32?
    public var dataLength: UInt32?
    /// For object maps (`NFT_OBJECT_*`).
    public var objectType: UInt32?
    /// Default element timeout in milliseconds.
    public var timeout: UInt64?
    public var gcInterval: UInt32?
    public var policy: UInt32?
    public var size: UInt32?
    public var elements: [SetElement]
    /// nft's TLV userdata (key byte order, `typeof`, comment), as stored.
    public var userdata: [UInt8]? = nil
    /// Stateful expressions every element gets (`NFTNL_SET_EXPR` /
    /// `NFTNL_SET_EXPRESSIONS`: a set-level `counter`, `limit`, `quota`, `ct count`).
    public var expressions: [Expression] = []

    /// `NFT_DATA_VERDICT` as a set data type.
    public static let verdictDataType: UInt32 = 0xffff_ff00

    public init(
        family: Family, table: String, name: String, handle: UInt64, flags: Flags = [], keyType: UInt32? = nil,
        keyLength: UInt32? = nil, dataType: UInt32? = nil, dataLength: UInt32? = nil, objectType: UInt32? = nil,
        timeout: UInt64? = nil, gcInterval: UInt32? = nil, policy: UInt32? = nil, size: UInt32? = nil,
        elements: [SetElement] = []
    ) {
        self.family = family
        self.table = table
        self.name = name
        self.handle = handle
        self.flags = flags
        self.keyType = keyType
        self.keyLength = keyLength
        self.dataType = dataType
        self.dataLength = dataLength
        self.objectType = objectType
        self.timeout = timeout
        self.gcInterval = gcInterval
        self.policy = policy
        self.size = size
        self.elements = elements
    }

    public var isAnonymous: Bool { flags.contains(.anonymous) }
    public var isMap: Bool { flags.contains(.map) }
    public var isVerdictMap: Bool { isMap && dataType == Self.verdictDataType }

    /// `NFT_SET_*` flags.
    public struct Flags: OptionSet, Sendable, Hashable, Encodable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        public static let anonymous = Flags(rawValue: 0x1)
        public static let constant = Flags(rawValue: 0x2)
        public static let interval = Flags(rawValue: 0x4)
        public static let map = Flags(rawValue: 0x8)
        public static let timeout = Flags(rawValue: 0x10)
        public static let eval = Flags(rawValue: 0x20)
        public static let object = Flags(rawValue: 0x40)
        public static let concat = Flags(rawValue: 0x80)
        public static let expression = Flags(rawValue: 0x100)

        public var names: [String] {
            let all: [(Flags, String)] = [
                (.anonymous, "anonymous"), (.constant, "constant"), (.interval, "interval"), (.map, "map"),
                (.timeout, "timeout"), (.eval, "eval"), (.object, "object"), (.concat, "concat"),
                (.expression, "expression"),
            ]
            return all.filter { contains($0.0) }.map(\.1)
        }
    }
}

/// One element of a set or map. Interval sets hold half-open ranges as pairs
/// of elements, the end marked with `isIntervalEnd`.
public struct SetElement: Sendable, Equatable, Encodable {
    /// The key bytes as the kernel holds them (network order for addresses and
    /// ports; each concatenated part padded to 4 bytes).
    public var key: [UInt8]
    /// End of a concatenated range (`NFTNL_SET_ELEM_KEY_END`).
    public var keyEnd: [UInt8]?
    public var flags: UInt32
    /// For verdict maps.
    public var verdict: Verdict?
    /// For data maps.
    public var data: [UInt8]?
    /// Milliseconds.
    public var timeout: UInt64?
    public var expiration: UInt64?
    /// For object maps: the object's name.
    public var objectReference: String?
    /// nft's TLV userdata (element comment), as stored.
    public var userdata: [UInt8]? = nil
    /// The element's stateful expressions with their state
    /// (`NFTNL_SET_ELEM_EXPR` / `NFTNL_SET_ELEM_EXPRESSIONS`).
    public var expressions: [Expression] = []

    public init(
        key: [UInt8], keyEnd: [UInt8]? = nil, flags: UInt32 = 0, verdict: Verdict? = nil, data: [UInt8]? = nil,
        timeout: UInt64? = nil, expiration: UInt64? = nil, objectReference: String? = nil
    ) {
        self.key = key
        self.keyEnd = keyEnd
        self.flags = flags
        self.verdict = verdict
        self.data = data
        self.timeout = timeout
        self.expiration = expiration
        self.objectReference = objectReference
    }

    /// `NFT_SET_ELEM_INTERVAL_END`.
    public var isIntervalEnd: Bool { flags & 0x1 != 0 }
}

/// A named stateful object (`NFT_MSG_GETOBJ`).
public struct NamedObject: Sendable, Equatable, Encodable {
    public var family: Family
    public var table: String
    public var name: String
    public var handle: UInt64
    public var use: UInt32?
    public var kind: Kind
    /// `comment "…"` from the object's userdata.
    public var comment: String?
    /// The state of object types kept as `.other` in `kind` (ct expectation, synproxy).
    public var ctExpectation: CtExpectation?
    public var synproxy: Synproxy?

    /// `NFT_OBJECT_CT_EXPECT` (type 9).
    public struct CtExpectation: Sendable, Equatable, Encodable {
        public var l3proto: UInt16
        public var l4proto: UInt8
        public var dport: UInt16
        /// Milliseconds.
        public var timeout: UInt32
        public var size: UInt8
        public init(l3proto: UInt16, l4proto: UInt8, dport: UInt16, timeout: UInt32, size: UInt8) {
            self.l3proto = l3proto
            self.l4proto = l4proto
            self.dport = dport
            self.timeout = timeout
            self.size = size
        }
    }

    /// `NFT_OBJECT_SYNPROXY` (type 10): flags are `NF_SYNPROXY_OPT_*` (sack-perm 4, timestamp 8).
    public struct Synproxy: Sendable, Equatable, Encodable {
        public var mss: UInt16
        public var wscale: UInt8
        public var flags: UInt32
        public init(mss: UInt16, wscale: UInt8, flags: UInt32) {
            self.mss = mss
            self.wscale = wscale
            self.flags = flags
        }
    }

    public init(
        family: Family, table: String, name: String, handle: UInt64, use: UInt32? = nil, kind: Kind,
        comment: String? = nil
    ) {
        self.family = family
        self.table = table
        self.name = name
        self.handle = handle
        self.use = use
        self.kind = kind
        self.comment = comment
    }

    /// `NFT_OBJECT_*` with the state the model understands; others are kept by type number.
    public enum Kind: Sendable, Equatable, Encodable {
        case counter(packets: UInt64, bytes: UInt64)
        case quota(bytes: UInt64, consumed: UInt64, flags: UInt32)
        case limit(rate: UInt64, unit: UInt64, burst: UInt32, type: UInt32, flags: UInt32)
        case ctHelper(name: String, l3proto: UInt16, l4proto: UInt8)
        case other(type: UInt32)

        public var typeNumber: UInt32 {
            switch self {
            case .counter: 1
            case .quota: 2
            case .ctHelper: 3
            case .limit: 4
            case .other(let t): t
            }
        }

        public var typeName: String {
            switch self {
            case .counter: "counter"
            case .quota: "quota"
            case .ctHelper: "ct_helper"
            case .limit: "limit"
            case .other(let t): "object(\(t))"
            }
        }

        private enum CodingKeys: String, CodingKey {
            case type, packets, bytes, consumed, flags, rate, unit, burst, limitType, name, l3proto, l4proto
            case typeNumber
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(typeName, forKey: .type)
            switch self {
            case .counter(let p, let b):
                try c.encode(p, forKey: .packets)
                try c.encode(b, forKey: .bytes)
            case .quota(let b, let used, let f):
                try c.encode(b, forKey: .bytes)
                try c.encode(used, forKey: .consumed)
                try c.encode(f, forKey: .flags)
            case .limit(let r, let u, let burst, let t, let f):
                try c.encode(r, forKey: .rate)
                try c.encode(u, forKey: .unit)
                try c.encode(burst, forKey: .burst)
                try c.encode(t, forKey: .limitType)
                try c.encode(f, forKey: .flags)
            case .ctHelper(let n, let l3, let l4):
                try c.encode(n, forKey: .name)
                try c.encode(l3, forKey: .l3proto)
                try c.encode(l4, forKey: .l4proto)
            case .other(let t):
                try c.encode(t, forKey: .typeNumber)
            }
        }
    }
}

/// A flowtable (fast path for established flows).
public struct Flowtable: Sendable, Equatable, Encodable {
    public var family: Family
    public var table: String
    public var name: String
    public var handle: UInt64
    public var hook: Hook?
    public var priority: Int32?
    public var devices: [String]
    public var flags: UInt32
    public var use: UInt32?

    public init(
        family: Family, table: String, name: String, handle: UInt64, hook: Hook? = nil, priority: Int32? = nil,
        devices: [String] = [], flags: UInt32 = 0, use: UInt32? = nil
    ) {
        self.family = family
        self.table = table
        self.name = name
        self.handle = handle
        self.hook = hook
        self.priority = priority
        self.devices = devices
        self.flags = flags
        self.use = use
    }
}
