// `byteorder`: converts a register between host and network byte order.
//
// - Decode (HostAuditLinux, `Expression.init(_: NftnlExpr)`): `ExprAttr.Byteorder`
//   (DREG, SREG, OP, LEN, SIZE; all u32).
// - nft text / JSON: prints nothing itself; the converted register keeps its
//   source, marked `swapped`, and the match or statement that reads it prints
//   the value in network order (see `NFTDecompiler.valueExpr`).
// - Verdict: not modelled (registers tainted, the verdict unknowable).

extension Expression {
    public struct Byteorder: Sendable, Equatable, Encodable {
        public var dreg: Register?
        public var sreg: Register?
        /// `NFT_BYTEORDER_NTOH` 0, `NFT_BYTEORDER_HTON` 1.
        public var op: UInt32?
        public var length: UInt32?
        public var size: UInt32?
        public init(
            dreg: Register? = nil, sreg: Register? = nil, op: UInt32? = nil, length: UInt32? = nil, size: UInt32? = nil
        ) {
            self.dreg = dreg
            self.sreg = sreg
            self.op = op
            self.length = length
            self.size = size
        }
    }
}

extension NFTDecompiler {
    func step(_ e: Expression.Byteorder, _ st: inout RuleState) {
        if let s = e.sreg, let d = e.dreg, var r = st.reg(s) {
            r.swapped = e.op == 1
            st.setReg(d, r)
        }
    }
}
