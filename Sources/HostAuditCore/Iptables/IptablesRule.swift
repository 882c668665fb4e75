/// One iptables rule as iptables itself sees it, whether it came from an
/// iptables-nft nf_tables rule or from a legacy x_tables blob.
public struct IptablesRule: Sendable, Equatable {
    /// `-s` / `-d`: address and mask in network order (4 or 16 bytes); nil = any.
    public var source: XTMatch.AddressMask?
    public var destination: XTMatch.AddressMask?
    public var invertSource = false
    public var invertDestination = false
    /// `-i` / `-o` as iptables prints them (`eth+` for a prefix wildcard).
    public var inInterface: String?
    public var outInterface: String?
    public var invertIn = false
    public var invertOut = false
    /// `-p`: the protocol number; nil = any.
    public var proto: UInt16?
    public var invertProto = false
    /// `-f` (true) / `! -f` (false); nil = not given. IPv4 only.
    public var fragment: Bool?
    /// `-m …` in order.
    public var matches: [XTMatch] = []
    public var target: Target = .none
    public var packets: UInt64 = 0
    public var bytes: UInt64 = 0
    /// The kernel's structs exactly as read from a legacy blob, for the
    /// verdict evaluator (byte-exact interface names and masks, each match's
    /// and the target's info struct). Not part of the rule's identity: two
    /// rules that print alike compare equal whatever was kept here.
    public var raw = Raw()
    /// A rule of an iptables-nft table that iptables cannot express (a native
    /// nft rule added beside iptables-nft's), as `nft list ruleset` prints it:
    /// `firewall show` keeps it in place, in nft syntax, and warns. Only set by
    /// `IptablesTable(nft:inPlace:)` for printing; never evaluated.
    public var nftText: String?

    public init() {}

    /// See `raw`.
    public struct Raw: Sendable, Equatable {
        public var inName: [UInt8] = []
        public var inMask: [UInt8] = []
        public var outName: [UInt8] = []
        public var outMask: [UInt8] = []
        public var matches: [Expression.XT] = []
        public var target: Expression.XT?
        public init() {}
        public static func == (a: Raw, b: Raw) -> Bool { true }
    }

    public enum Target: Sendable, Equatable {
        /// No `-j`: the rule only counts.
        case none
        case accept, drop, `return`, queue
        case jump(String)
        case goto(String)
        case `extension`(XTTarget)
    }

    /// Whether every part decoded (no opaque match or target).
    public var isFullyDecoded: Bool {
        if matches.contains(where: \.isOpaque) { return false }
        if case .extension(let t) = target, t.isOpaque { return false }
        return true
    }
}

/// A chain of an iptables table: built-in chains have a policy and counters.
public struct IptablesChain: Sendable, Equatable {
    public var name: String
    /// `ACCEPT` / `DROP` for built-in chains; nil for user chains.
    public var policy: String?
    public var packets: UInt64
    public var bytes: UInt64
    public var rules: [IptablesRule]

    public init(name: String, policy: String? = nil, packets: UInt64 = 0, bytes: UInt64 = 0, rules: [IptablesRule] = []) {
        self.name = name
        self.policy = policy
        self.packets = packets
        self.bytes = bytes
        self.rules = rules
    }

    public var isBuiltin: Bool { policy != nil }
}

/// An iptables table (`filter`, `nat`, …) of one family (`ip` or `ip6`), chains in
/// iptables-save order: built-in chains by hook, then user chains by name.
public struct IptablesTable: Sendable, Equatable {
    public var family: Family
    public var name: String
    public var chains: [IptablesChain]

    package init(family: Family, name: String, chains: [IptablesChain] = []) {
        self.family = family
        self.name = name
        self.chains = chains
    }

    /// The built-in chains of each iptables table, in hook order, with the
    /// nf_tables base-chain type and priority iptables-nft gives them.
    static let builtins: [String: [(name: String, hook: Hook, type: String, priority: Int32)]] = [
        "filter": [("INPUT", .input, "filter", 0), ("FORWARD", .forward, "filter", 0), ("OUTPUT", .output, "filter", 0)],
        "nat": [
            ("PREROUTING", .prerouting, "nat", -100), ("INPUT", .input, "nat", 100), ("OUTPUT", .output, "nat", -100),
            ("POSTROUTING", .postrouting, "nat", 100),
        ],
        "mangle": [
            ("PREROUTING", .prerouting, "filter", -150), ("INPUT", .input, "filter", -150),
            ("FORWARD", .forward, "filter", -150), ("OUTPUT", .output, "route", -150),
            ("POSTROUTING", .postrouting, "filter", -150),
        ],
        "raw": [("PREROUTING", .prerouting, "filter", -300), ("OUTPUT", .output, "filter", -300)],
        "security": [
            ("INPUT", .input, "filter", 150), ("FORWARD", .forward, "filter", 150), ("OUTPUT", .output, "filter", 150),
        ],
    ]

    static let hookOrder: [Hook] = [.prerouting, .input, .forward, .output, .postrouting]
}
