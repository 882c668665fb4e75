// `xfrm`: loads IPsec state of the packet (`ipsec in|out [spnum N] ip saddr …`).
//
// - Decode: `ExprAttr.Xfrm` (DREG u32, KEY u32, DIR u8, SPNUM u32).
// - nft text / JSON: the register's source, printed by what reads it.
// - Verdict: not modelled (unknowable).

extension Expression {
    public struct Xfrm: Sendable, Equatable, Encodable {
        public var dreg: Register?
        /// `NFT_XFRM_KEY_*`: daddr ip 1, daddr ip6 2, saddr ip 3, saddr ip6 4, reqid 5, spi 6.
        public var key: UInt32?
        /// `XFRM_POLICY_IN` 0, `XFRM_POLICY_OUT` 1.
        public var direction: UInt8?
        public var spnum: UInt32?
        public init(dreg: Register? = nil, key: UInt32? = nil, direction: UInt8? = nil, spnum: UInt32? = nil) {
            self.dreg = dreg
            self.key = key
            self.direction = direction
            self.spnum = spnum
        }
    }
}

extension NFTDecompiler {
    func step(_ e: Expression.Xfrm, _ st: inout RuleState) {
        guard let d = e.dreg else { return }
        var words = e.direction == 1 ? "ipsec out" : "ipsec in"
        if let sp = e.spnum, sp != 0 { words += " spnum \(sp)" }
        let (key, type, len): (String, NFTDatatype, Int) =
            switch e.key ?? 0 {
            case 1: ("ip daddr", .ipv4Addr, 4)
            case 2: ("ip6 daddr", .ipv6Addr, 16)
            case 3: ("ip saddr", .ipv4Addr, 4)
            case 4: ("ip6 saddr", .ipv6Addr, 16)
            case 5: ("reqid", .integer, 4)
            default: ("spi", .integer, 4)
            }
        st.setReg(d, Reg(source: .expr(.named(words + " " + key, type: type), type), byteLength: len))
    }
}
