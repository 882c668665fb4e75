/// The statement AST nft itself builds when it lists a ruleset
/// (`netlink_delinearize.c`): rules become statements over typed expressions.
///
/// Kept structured (no pre-rendered strings) so the text renderer and a
/// libnftables-JSON renderer can share it.

/// A typed constant: the bytes as the kernel holds them, the datatype that
/// gives them meaning, and their byte order.
package struct NFTValue: Sendable, Equatable {
    package var type: NFTDatatype
    package var bytes: [UInt8]
    /// Network (big-endian) order; otherwise host order (little-endian here).
    package var bigEndian: Bool
    package init(type: NFTDatatype, bytes: [UInt8], bigEndian: Bool) {
        self.type = type
        self.bytes = bytes
        self.bigEndian = bigEndian
    }
}

/// A header field known to nft's protocol templates (`ip saddr`, `tcp dport`).
struct NFTPayloadField: Sendable, Equatable {
    /// Protocol name as printed (`ip`, `ip6`, `tcp`, `th`, `ether`, …).
    var proto: String
    var field: String
    var type: NFTDatatype
    var bigEndian: Bool
    /// Field position in bits from the start of its header.
    var offsetBits: Int
    var lengthBits: Int
    var base: UInt32
}

enum NFTRelOp: Sendable, Equatable {
    /// No operator printed (`tcp dport 22`, `ct state established`).
    case implicit
    case eq, neq, lt, lte, gt, gte
    var token: String {
        switch self {
        case .implicit: ""
        case .eq: "=="
        case .neq: "!="
        case .lt: "<"
        case .lte: "<="
        case .gt: ">"
        case .gte: ">="
        }
    }

    /// The operator of a `cmp` expression; nil for one nft does not know.
    init?(_ op: Expression.CmpOp) {
        switch op {
        case .eq: self = .eq
        case .neq: self = .neq
        case .lt: self = .lt
        case .lte: self = .lte
        case .gt: self = .gt
        case .gte: self = .gte
        case .other: return nil
        }
    }
}

enum NFTBinOp: String, Sendable, Equatable {
    case and = "&", or = "|", xor = "^", lshift = "<<", rshift = ">>"
}

/// One expression of a statement.
indirect enum NFTExpr: Sendable, Equatable {
    case payload(NFTPayloadField)
    /// `@nh,128,24`: a load nft has no template for.
    case rawPayload(base: UInt32, offsetBits: Int, lengthBits: Int)
    /// `tcp option maxseg size`, `ip option rr`, `exthdr hbh`, `frag more-fragments`.
    case exthdr(desc: String, field: String?, type: NFTDatatype, exists: Bool)
    /// `meta mark`, `iifname` (unqualified keys print without `meta`).
    case meta(key: String, type: NFTDatatype, qualified: Bool)
    /// `ct state`, `ct original ip saddr`.
    case ct(key: String, direction: String?, type: NFTDatatype)
    /// `fib saddr . iif oif`.
    case fib(flags: [String], result: String, type: NFTDatatype)
    case socket(key: String, type: NFTDatatype)
    case numgen(mode: String, modulus: UInt32, offset: UInt32)
    /// `jhash ip saddr . tcp dport mod 4 seed 0x1 offset 10`, `symhash mod 2`.
    case hash(NFTExpr?, modulus: UInt32, seed: UInt32?, offset: UInt32, symmetric: Bool)
    /// A key nft prints as fixed words: `osf name`, `rt ip nexthop`, `ipsec in reqid`.
    case named(String, type: NFTDatatype)
    case value(NFTValue)
    /// A quoted or symbolic string constant printed as is (object names, helpers).
    case string(String)
    case prefix(NFTExpr, length: Int)
    case range(NFTExpr, NFTExpr)
    case concat([NFTExpr])
    /// An anonymous set `{ a, b }`.
    case set([NFTExpr])
    case setRef(String)
    /// One set element with its per-element attributes.
    case element(NFTExpr, timeout: UInt64?, expires: UInt64?, comment: String?)
    /// A set element key followed by its stateful statements
    /// (`10.0.0.1 counter packets 0 bytes 0`); wrapped by `element` when it
    /// also has a timeout, expiry or comment.
    case elementStatements(NFTExpr, [NFTStmt])
    case mapping(NFTExpr, NFTExpr)
    /// `key map @m` / `key map { … }`.
    case map(NFTExpr, NFTExpr)
    case binop(NFTBinOp, NFTExpr, NFTExpr)
    /// `tcp flags syn / fin,syn` (value under mask).
    case flagsMask(NFTExpr, NFTExpr)
    case verdict(Verdict)
    /// `vmap` lookup: `key vmap @m`.
    case vmap(NFTExpr, NFTExpr)

    var isConstant: Bool {
        switch self {
        case .value, .string, .prefix, .range, .set, .concat: true
        default: false
        }
    }
}

/// One statement of a rule, in nft's terms.
enum NFTStmt: Sendable, Equatable {
    case match(NFTExpr, NFTRelOp, NFTExpr)
    case verdict(Verdict)
    /// `ip daddr vmap @m`, `tcp dport vmap { … }`.
    case vmap(NFTExpr, NFTExpr)
    case counter(packets: UInt64, bytes: UInt64)
    /// `counter name "x"`, `quota name ip saddr map @m`.
    case objref(type: UInt32, NFTExpr)
    case log(NFTLog)
    case limit(NFTLimit)
    case quota(bytes: UInt64, used: UInt64, over: Bool)
    case connlimit(count: UInt32, over: Bool)
    case reject(NFTReject)
    case nat(NFTNat)
    case queue(number: UInt16, total: UInt16, flags: UInt16, numberExpr: NFTExpr?)
    case dynset(NFTDynset)
    case metaSet(key: String, qualified: Bool, NFTExpr)
    case ctSet(key: String, direction: String?, NFTExpr)
    case payloadSet(NFTExpr, NFTExpr)
    case exthdrSet(NFTExpr, NFTExpr)
    case notrack
    /// `synproxy mss 1460 wscale 7 timestamp sack-perm`.
    case synproxy(mss: UInt16?, wscale: UInt8?, timestamp: Bool, sackPerm: Bool)
    /// `dup to 10.0.0.1 device "lo"`, `dup to "lo"` (netdev).
    case dup(to: NFTExpr?, device: NFTExpr?)
    /// `fwd to "lo"`, `fwd ip to 1.2.3.4 device "lo"`.
    case fwd(family: String?, to: NFTExpr?, device: NFTExpr?)
    /// `tproxy ip to 127.0.0.1:1234`; `family` only in inet tables.
    case tproxy(family: String?, address: NFTExpr?, port: NFTExpr?)
    case flowOffload(String)
    /// An expression nft prints by name only (`xt match "conntrack"`), or one this decompiler cannot express.
    case xt(kind: String, name: String)
    case unknown(String)
}

struct NFTLog: Sendable, Equatable {
    var prefix: String?
    var group: UInt16?
    var snaplen: UInt32?
    var queueThreshold: UInt16?
    var level: UInt32?
    var flags: UInt32
}

struct NFTLimit: Sendable, Equatable {
    var rate: UInt64
    var unit: UInt64
    var burst: UInt32
    var bytes: Bool
    var over: Bool
}

struct NFTReject: Sendable, Equatable {
    /// 0 icmp, 1 tcp reset, 2 icmpx.
    var type: UInt32
    var code: UInt8
    /// `ip` / `ip6` as the reject family for icmp codes, nil when unknown.
    var family: Family?
    /// Print the default code too (a transport dependency was kept).
    var verbose: Bool
}

struct NFTNat: Sendable, Equatable {
    enum Kind: Sendable, Equatable { case snat, dnat, masquerade, redirect }
    var kind: Kind
    /// `ip` / `ip6` printed after `snat`/`dnat` in inet tables.
    var family: String?
    var address: NFTExpr?
    var port: NFTExpr?
    var flags: UInt32
    /// Address and port both come from one map (`dnat to ip daddr . tcp dport map @m`).
    var mapsBoth: Bool
}

struct NFTDynset: Sendable, Equatable {
    var op: String
    var set: String
    var key: NFTExpr
    var data: NFTExpr?
    var timeout: UInt64?
    var statements: [NFTStmt]
    /// Anonymous set: printed as `meter NAME size N { … }`.
    var meter: UInt32?
}

/// A decompiled rule.
struct NFTRuleAST: Sendable, Equatable {
    var statements: [NFTStmt]
    var comment: String?
}
