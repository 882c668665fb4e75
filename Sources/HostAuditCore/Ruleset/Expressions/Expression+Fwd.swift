// `fwd`: forwards the packet to a device (netdev), optionally via an address.
//
// - Decode: `ExprAttr.Fwd` (SREG_DEV, SREG_ADDR, NFPROTO; u32).
// - nft text / JSON: `fwd to DEV` or `fwd ip|ip6 to ADDR device DEV` (`NFTStmt.fwd`).
// - Verdict: not modelled (unknowable).

extension Expression {
    public struct Fwd: Sendable, Equatable, Encodable {
        public var sregDevice: Register?
        public var sregAddress: Register?
        /// `NFPROTO_IPV4` 2 or `NFPROTO_IPV6` 10 (with an address).
        public var nfproto: UInt32?
        public init(sregDevice: Register? = nil, sregAddress: Register? = nil, nfproto: UInt32? = nil) {
            self.sregDevice = sregDevice
            self.sregAddress = sregAddress
            self.nfproto = nfproto
        }
    }
}

extension NFTDecompiler {
    func step(_ e: Expression.Fwd, _ st: inout RuleState) {
        let proto = e.nfproto
        let dev = e.sregDevice.flatMap { st.reg($0) }.map { valueExpr($0, type: .ifindex, bigEndian: false, &st) }
        let addr = e.sregAddress.flatMap { st.reg($0) }.map {
            valueExpr($0, type: proto == 10 ? .ipv6Addr : .ipv4Addr, bigEndian: true, &st)
        }
        if let addr {
            st.append(.fwd(family: proto == 10 ? "ip6" : "ip", to: addr, device: dev))
        } else {
            st.append(.fwd(family: nil, to: dev, device: nil))
        }
    }
}
