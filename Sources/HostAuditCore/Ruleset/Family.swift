/// A netfilter protocol family (`NFPROTO_*`), as nft names them.
public enum Family: Sendable, Hashable {
    case ip, ip6, inet, arp, bridge, netdev
    case other(UInt32)

    /// From the kernel's NFPROTO_* value.
    public init(nfproto: UInt32) {
        switch nfproto {
        case 1: self = .inet
        case 2: self = .ip
        case 3: self = .arp
        case 5: self = .netdev
        case 7: self = .bridge
        case 10: self = .ip6
        default: self = .other(nfproto)
        }
    }

    public var nfproto: UInt32 {
        switch self {
        case .inet: 1
        case .ip: 2
        case .arp: 3
        case .netdev: 5
        case .bridge: 7
        case .ip6: 10
        case .other(let v): v
        }
    }

    public var name: String {
        switch self {
        case .ip: "ip"
        case .ip6: "ip6"
        case .inet: "inet"
        case .arp: "arp"
        case .bridge: "bridge"
        case .netdev: "netdev"
        case .other(let v): "family(\(v))"
        }
    }
}

extension Family: Encodable {
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(name)
    }
}

/// A netfilter hook. The number's meaning depends on the family: netdev
/// (and inet's ingress) use their own numbering.
public enum Hook: Sendable, Hashable {
    case prerouting, input, forward, output, postrouting, ingress, egress
    case other(UInt32)

    /// From `NFTNL_CHAIN_HOOKNUM` and the chain's family.
    public init(number: UInt32, family: Family) {
        if family == .netdev {
            switch number {
            case 0: self = .ingress
            case 1: self = .egress
            default: self = .other(number)
            }
            return
        }
        switch number {
        case 0: self = .prerouting
        case 1: self = .input
        case 2: self = .forward
        case 3: self = .output
        case 4: self = .postrouting
        case 5: self = .ingress
        default: self = .other(number)
        }
    }

    public var name: String {
        switch self {
        case .prerouting: "prerouting"
        case .input: "input"
        case .forward: "forward"
        case .output: "output"
        case .postrouting: "postrouting"
        case .ingress: "ingress"
        case .egress: "egress"
        case .other(let v): "hook(\(v))"
        }
    }
}

extension Hook: Encodable {
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(name)
    }
}
