/// An nf_tables table with everything it contains.
public struct Table: Sendable, Equatable, Encodable {
    public var family: Family
    public var name: String
    public var handle: UInt64
    public var flags: Flags
    /// Port id of the owning netlink socket when `flags` contains `.owner`.
    public var owner: UInt32?
    /// Number of objects referencing the table (`NFTNL_TABLE_USE`).
    public var use: UInt32?
    public var chains: [Chain]
    public var sets: [NFTSet]
    public var objects: [NamedObject]
    public var flowtables: [Flowtable]
    /// `comment "…"` from the table's userdata (`NFTNL_UDATA_TABLE_COMMENT`).
    public var comment: String? = nil

    public init(
        family: Family, name: String, handle: UInt64, flags: Flags = [], owner: UInt32? = nil, use: UInt32? = nil,
        chains: [Chain] = [], sets: [NFTSet] = [], objects: [NamedObject] = [], flowtables: [Flowtable] = []
    ) {
        self.family = family
        self.name = name
        self.handle = handle
        self.flags = flags
        self.owner = owner
        self.use = use
        self.chains = chains
        self.sets = sets
        self.objects = objects
        self.flowtables = flowtables
    }

    public func chain(_ name: String) -> Chain? { chains.first { $0.name == name } }
    public func set(_ name: String) -> NFTSet? { sets.first { $0.name == name } }

    /// `NFT_TABLE_F_*`.
    public struct Flags: OptionSet, Sendable, Hashable, Encodable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        public static let dormant = Flags(rawValue: 0x1)
        public static let owner = Flags(rawValue: 0x2)
    }
}

/// An nf_tables chain; `base` is present for base chains (attached to a hook).
public struct Chain: Sendable, Equatable, Encodable {
    public var family: Family
    public var table: String
    public var name: String
    public var handle: UInt64
    public var flags: Flags
    public var use: UInt32?
    public var base: BaseChain?
    public var rules: [Rule]
    /// Base-chain counters (`NFTA_CHAIN_COUNTERS`), when the kernel keeps them
    /// (iptables-nft creates its built-in chains with counters).
    public var counters: Expression.Counter?
    /// `comment "…"` from the chain's userdata (`NFTNL_UDATA_CHAIN_COMMENT`).
    public var comment: String? = nil

    public init(
        family: Family, table: String, name: String, handle: UInt64, flags: Flags = [], use: UInt32? = nil,
        base: BaseChain? = nil, rules: [Rule] = [], counters: Expression.Counter? = nil
    ) {
        self.family = family
        self.table = table
        self.name = name
        self.handle = handle
        self.flags = flags
        self.use = use
        self.base = base
        self.rules = rules
        self.counters = counters
    }

    public var isBaseChain: Bool { base != nil }

    /// `NFT_CHAIN_*` flags.
    public struct Flags: OptionSet, Sendable, Hashable, Encodable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        public static let base = Flags(rawValue: 0x1)
        public static let hardwareOffload = Flags(rawValue: 0x2)
        public static let binding = Flags(rawValue: 0x4)
    }
}

/// What makes a chain a base chain: where it hooks in and what it does by default.
public struct BaseChain: Sendable, Equatable, Encodable {
    public var hook: Hook
    public var priority: Int32
    /// `nil` when the kernel did not report one.
    public var policy: ChainPolicy?
    /// `filter`, `nat` or `route`.
    public var type: String?
    /// Devices for netdev / inet ingress chains.
    public var devices: [String]

    public init(hook: Hook, priority: Int32, policy: ChainPolicy?, type: String?, devices: [String] = []) {
        self.hook = hook
        self.priority = priority
        self.policy = policy
        self.type = type
        self.devices = devices
    }
}

/// A base chain's policy (NF_ACCEPT / NF_DROP).
public enum ChainPolicy: Sendable, Hashable, Encodable {
    case accept, drop
    case other(UInt32)

    public init(raw: UInt32) {
        switch raw {
        case 0: self = .drop
        case 1: self = .accept
        default: self = .other(raw)
        }
    }

    public var name: String {
        switch self {
        case .accept: "accept"
        case .drop: "drop"
        case .other(let v): "policy(\(v))"
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(name)
    }
}

/// One rule, with its expressions in kernel order.
public struct Rule: Sendable, Equatable, Encodable {
    public var family: Family
    public var table: String
    public var chain: String
    public var handle: UInt64
    /// The handle of the previous rule in the chain; absent on the first rule.
    public var position: UInt64?
    /// `comment "…"` from the rule's userdata (`NFTNL_UDATA_RULE_COMMENT`).
    public var comment: String?
    public var expressions: [Expression]

    public init(
        family: Family, table: String, chain: String, handle: UInt64, position: UInt64? = nil,
        comment: String? = nil, expressions: [Expression] = []
    ) {
        self.family = family
        self.table = table
        self.chain = chain
        self.handle = handle
        self.position = position
        self.comment = comment
        self.expressions = expressions
    }
}

/// Parses the TLV userdata nft attaches to rules (type u8, length u8, value).
package enum RuleUserData {
    /// `NFTNL_UDATA_RULE_COMMENT`.
    static let commentType: UInt8 = 0

    /// The comment, if the userdata carries one; malformed data gives `nil`.
    package static func comment(in bytes: [UInt8]) -> String? {
        var i = 0
        while i + 2 <= bytes.count {
            let type = bytes[i]
            let len = Int(bytes[i + 1])
            let start = i + 2
            guard start + len <= bytes.count else { return nil }
            if type == commentType {
                var value = bytes[start..<start + len]
                if let nul = value.firstIndex(of: 0) { value = value[..<nul] }
                return String(decoding: value, as: UTF8.self)
            }
            i = start + len
        }
        return nil
    }
}
