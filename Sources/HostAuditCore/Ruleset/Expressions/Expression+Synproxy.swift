// `synproxy` (the statement; the named object is `NamedObject.synproxy`).
//
// - Decode: `ExprAttr.Synproxy` (MSS u16, WSCALE u8, FLAGS u32).
// - nft text / JSON: `synproxy mss N wscale N [timestamp] [sack-perm]`
//   (`NFTStmt.synproxy`); nft prints mss and wscale whenever the kernel
//   reports them.
// - Verdict: not modelled (unknowable).

extension Expression {
    public struct Synproxy: Sendable, Equatable, Encodable {
        public var mss: UInt16?
        public var wscale: UInt8?
        /// `NF_SYNPROXY_OPT_*`: sack-perm 4, timestamp 8.
        public var flags: UInt32?
        public init(mss: UInt16? = nil, wscale: UInt8? = nil, flags: UInt32? = nil) {
            self.mss = mss
            self.wscale = wscale
            self.flags = flags
        }
    }
}

extension NFTDecompiler {
    func step(_ e: Expression.Synproxy, _ st: inout RuleState) {
        let f = e.flags ?? 0
        st.append(.synproxy(mss: e.mss, wscale: e.wscale, timestamp: f & 8 != 0, sackPerm: f & 4 != 0))
    }
}
