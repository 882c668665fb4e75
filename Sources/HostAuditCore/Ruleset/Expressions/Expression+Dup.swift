// `dup`: duplicates the packet to an address and/or a device.
//
// - Decode: `ExprAttr.Dup` (SREG_ADDR, SREG_DEV; u32).
// - nft text / JSON: `dup to ADDR [device DEV]`, or `dup to DEV` without an
//   address (netdev) (`NFTStmt.dup`).
// - Verdict: not modelled (unknowable).

extension Expression {
    public struct Dup: Sendable, Equatable, Encodable {
        public var sregAddress: Register?
        public var sregDevice: Register?
        public init(sregAddress: Register? = nil, sregDevice: Register? = nil) {
            self.sregAddress = sregAddress
            self.sregDevice = sregDevice
        }
    }
}

extension NFTDecompiler {
    func step(_ e: Expression.Dup, _ st: inout RuleState) {
        let addrType: NFTDatatype = table.family == .ip6 ? .ipv6Addr : .ipv4Addr
        let addr = e.sregAddress.flatMap { st.reg($0) }.map { valueExpr($0, type: addrType, bigEndian: true, &st) }
        let dev = e.sregDevice.flatMap { st.reg($0) }.map { valueExpr($0, type: .ifindex, bigEndian: false, &st) }
        st.append(addr == nil ? .dup(to: dev, device: nil) : .dup(to: addr, device: dev))
    }
}
