// `connlimit`: matches on the number of connections (`ct count [over] N`).
//
// - Decode: `ExprAttr.Connlimit` (COUNT, FLAGS; u32). Also a set-level and
//   per-element stateful expression (`NFTDecompiler.statements`).
// - nft text / JSON: `ct count [over] N` / `{"ct count": {"val": N, "inv": …}}`
//   (`NFTStmt.connlimit`).
// - Verdict: not modelled (unknowable).

extension Expression {
    public struct Connlimit: Sendable, Equatable, Encodable {
        public var count: UInt32?
        /// `NFT_CONNLIMIT_F_INV` 1: `over`.
        public var flags: UInt32?
        public init(count: UInt32? = nil, flags: UInt32? = nil) {
            self.count = count
            self.flags = flags
        }
    }
}

extension NFTDecompiler {
    func step(_ e: Expression.Connlimit, _ st: inout RuleState) {
        st.append(.connlimit(count: e.count ?? 0, over: (e.flags ?? 0) & 1 != 0))
    }
}
