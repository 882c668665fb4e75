// `osf`: loads the passive OS fingerprint of the packet (`osf [ttl …] name|version`).
//
// - Decode: `ExprAttr.Osf` (DREG u32, TTL u8, FLAGS u32).
// - nft text / JSON: the register's source, printed by what reads it.
// - Verdict: not modelled (unknowable).

extension Expression {
    public struct Osf: Sendable, Equatable, Encodable {
        public var dreg: Register?
        /// 0 exact, 1 loose, 2 skip.
        public var ttl: UInt8?
        /// `NFT_OSF_F_VERSION` 1.
        public var flags: UInt32?
        public init(dreg: Register? = nil, ttl: UInt8? = nil, flags: UInt32? = nil) {
            self.dreg = dreg
            self.ttl = ttl
            self.flags = flags
        }
    }
}

extension NFTDecompiler {
    func step(_ e: Expression.Osf, _ st: inout RuleState) {
        guard let d = e.dreg else { return }
        var words = "osf"
        switch e.ttl {
        case 1: words += " ttl loose"
        case 2: words += " ttl skip"
        default: break
        }
        words += (e.flags ?? 0) & 1 != 0 ? " version" : " name"
        st.setReg(d, Reg(source: .expr(.named(words, type: .string), .string), byteLength: 16))
    }
}
