// `hash`: loads a hash of a register (`jhash … mod N`) or of the flow (`symhash`).
//
// - Decode: `ExprAttr.Hash` (SREG, DREG, LEN, MODULUS, SEED (dumped only
//   when given), OFFSET, TYPE; u32).
// - nft text / JSON: the register's source (`NFTExpr.hash`), printed by
//   what reads it.
// - Verdict: not modelled (unknowable).

extension Expression {
    public struct Hash: Sendable, Equatable, Encodable {
        public var sreg: Register?
        public var dreg: Register?
        public var length: UInt32?
        public var modulus: UInt32?
        public var seed: UInt32?
        public var offset: UInt32?
        /// `NFT_HASH_JENKINS` 0, `NFT_HASH_SYM` 1.
        public var type: UInt32?
        public init(
            sreg: Register? = nil, dreg: Register? = nil, length: UInt32? = nil, modulus: UInt32? = nil,
            seed: UInt32? = nil, offset: UInt32? = nil, type: UInt32? = nil
        ) {
            self.sreg = sreg
            self.dreg = dreg
            self.length = length
            self.modulus = modulus
            self.seed = seed
            self.offset = offset
            self.type = type
        }
    }
}

extension NFTDecompiler {
    func step(_ e: Expression.Hash, _ st: inout RuleState) {
        guard let d = e.dreg else { return }
        let sym = e.type == 1
        var input: NFTExpr?
        if !sym, let s = e.sreg, let r = st.reg(s) {
            input = keyExpr(r, s, length: e.length.map(Int.init), &st)
        }
        let h = NFTExpr.hash(input, modulus: e.modulus ?? 0, seed: e.seed, offset: e.offset ?? 0, symmetric: sym)
        st.setReg(d, Reg(source: .expr(h, .integer), byteLength: 4))
    }
}
