// `numgen`: loads a generated number (`numgen inc|random mod N [offset M]`).
//
// - Decode: `ExprAttr.Numgen` (DREG, MODULUS, TYPE, OFFSET; u32).
// - nft text / JSON: the register's source; printed by the match or map
//   lookup that reads it (`NFTDecompiler.Source.numgen`).
// - Verdict: not modelled (unknowable).

extension Expression {
    public struct Numgen: Sendable, Equatable, Encodable {
        public var dreg: Register?
        public var modulus: UInt32?
        /// `NFT_NG_INCREMENTAL` 0, `NFT_NG_RANDOM` 1.
        public var type: UInt32?
        public var offset: UInt32?
        public init(dreg: Register? = nil, modulus: UInt32? = nil, type: UInt32? = nil, offset: UInt32? = nil) {
            self.dreg = dreg
            self.modulus = modulus
            self.type = type
            self.offset = offset
        }
    }
}

extension NFTDecompiler {
    func step(_ e: Expression.Numgen, _ st: inout RuleState) {
        guard let d = e.dreg else { return }
        let mode = e.type == 1 ? "random" : "inc"
        st.setReg(d, Reg(source: .numgen(mode: mode, modulus: e.modulus ?? 0, offset: e.offset ?? 0), byteLength: 4))
    }
}
