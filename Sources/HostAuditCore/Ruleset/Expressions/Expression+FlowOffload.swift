// `flow_offload`: adds the flow to a flowtable (`flow add @ft`).
//
// - Decode: `ExprAttr.FlowOffload` (TABLE_NAME, a string).
// - nft text / JSON: `flow add @NAME` / `{"flow": {"op": "add", "flowtable": "@NAME"}}`
//   (`NFTStmt.flowOffload`).
// - Verdict: not modelled (unknowable).

extension Expression {
    public struct FlowOffload: Sendable, Equatable, Encodable {
        /// The flowtable's name.
        public var table: String?
        public init(table: String? = nil) {
            self.table = table
        }
    }
}

extension NFTDecompiler {
    func step(_ e: Expression.FlowOffload, _ st: inout RuleState) {
        if let name = e.table { st.append(.flowOffload(name)) }
    }
}
