// `tproxy`: transparent proxying to an address and/or port.
//
// - Decode: `ExprAttr.Tproxy` (FAMILY, REG_ADDR, REG_PORT; u32).
// - nft text / JSON: `tproxy [ip|ip6] to ADDR[:PORT]` (`NFTStmt.tproxy`); the
//   family is printed only in inet tables.
// - Verdict: not modelled (unknowable).

extension Expression {
    public struct Tproxy: Sendable, Equatable, Encodable {
        /// `NFPROTO_*` of the address (2 ip, 10 ip6), when given.
        public var family: UInt32?
        public var sregAddress: Register?
        public var sregPort: Register?
        public init(family: UInt32? = nil, sregAddress: Register? = nil, sregPort: Register? = nil) {
            self.family = family
            self.sregAddress = sregAddress
            self.sregPort = sregPort
        }
    }
}

extension NFTDecompiler {
    func step(_ e: Expression.Tproxy, _ st: inout RuleState) {
        let fam = e.family.map(Family.init(nfproto:))
        let addrType: NFTDatatype = fam == .ip6 || (fam == nil && table.family == .ip6) ? .ipv6Addr : .ipv4Addr
        let address = e.sregAddress.flatMap { st.reg($0) }.map { valueExpr($0, type: addrType, bigEndian: true, &st) }
        let port = e.sregPort.flatMap { st.reg($0) }.map { valueExpr($0, type: .inetService, bigEndian: true, &st) }
        let family: String? = table.family == .inet ? (e.family == 2 ? "ip" : e.family == 10 ? "ip6" : nil) : nil
        st.append(.tproxy(family: family, address: address, port: port))
    }
}
