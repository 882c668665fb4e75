// `rt`: loads routing data (`rt classid`, `rt ip nexthop`, `rt mtu`, `rt ipsec`).
//
// - Decode: `ExprAttr.Rt` (KEY, DREG; u32).
// - nft text / JSON: the register's source, printed by what reads it.
// - Verdict: not modelled (unknowable).

extension Expression {
    public struct Rt: Sendable, Equatable, Encodable {
        /// `NFT_RT_*`: classid 0, nexthop4 1, nexthop6 2, tcpmss 3, xfrm 4.
        public var key: UInt32?
        public var dreg: Register?
        public init(key: UInt32? = nil, dreg: Register? = nil) {
            self.key = key
            self.dreg = dreg
        }
    }
}

extension NFTDecompiler {
    func step(_ e: Expression.Rt, _ st: inout RuleState) {
        guard let d = e.dreg else { return }
        let (words, type, len): (String, NFTDatatype, Int) =
            switch e.key ?? 0 {
            case 0: ("rt classid", .realm, 4)
            case 1: ("rt ip nexthop", .ipv4Addr, 4)
            case 2: ("rt ip6 nexthop", .ipv6Addr, 16)
            case 3: ("rt mtu", .integer, 2)
            default: ("rt ipsec", .boolean, 1)
            }
        st.setReg(d, Reg(source: .expr(.named(words, type: type), type), byteLength: len))
    }
}
