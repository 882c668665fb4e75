#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CNetfilter
import HostAuditCore
import SystemPackage

/// The temporary, owner-flagged table that marks exactly one probe's packets
/// with `meta nftrace set 1`:
///
///     table inet hostaudit_trace_<pid> {            # flags owner
///         chain probe { type filter hook output priority -400; policy accept;
///             meta nfproto ipv4 ip daddr D meta l4proto tcp th sport S meta nftrace set 1 } }
///
/// The owner flag ties the table to this netlink socket: if the process dies,
/// the kernel deletes it.
final class TraceTable {
    let name: String
    private let nl: OpaquePointer
    private let portid: UInt32
    private var seq: UInt32
    private(set) var installed = false

    init(name: String) throws(ProbeError) {
        self.name = name
        guard let nl = mnl_socket_open(NETLINK_NETFILTER) else {
            throw .syscall(name: "mnl_socket_open", path: nil, errno: .current)
        }
        if case .failure(let e) = valueOrErrno({ mnl_socket_bind(nl, 0, pid_t(MNL_SOCKET_AUTOPID)) }) {
            mnl_socket_close(nl)
            throw .syscall(name: "mnl_socket_bind", path: nil, errno: e)
        }
        self.nl = nl
        portid = mnl_socket_get_portid(nl)
        seq = UInt32(truncatingIfNeeded: time(nil)) &* 7
    }

    deinit {
        if installed { try? remove() }
        mnl_socket_close(nl)
    }

    private static func u16(_ v: Int) -> UInt16 { UInt16(v) }

    /// Builds and sends one batch; `body` appends the messages and returns how many ACKs to expect.
    private func batch(_ body: (OpaquePointer, inout UInt32) -> Int) throws(ProbeError) {
        let size = 16384
        let buf = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
        defer { buf.deallocate() }
        guard let b = mnl_nlmsg_batch_start(buf, size) else { throw .unsupported(reason: "mnl_nlmsg_batch_start") }
        defer { mnl_nlmsg_batch_stop(b) }
        nftnl_batch_begin(mnl_nlmsg_batch_current(b).assumingMemoryBound(to: CChar.self), seq)
        seq &+= 1
        _ = mnl_nlmsg_batch_next(b)
        let expected = body(b, &seq)
        nftnl_batch_end(mnl_nlmsg_batch_current(b).assumingMemoryBound(to: CChar.self), seq)
        seq &+= 1
        _ = mnl_nlmsg_batch_next(b)
        if case .failure(let e) = valueOrErrno({ mnl_socket_sendto(nl, mnl_nlmsg_batch_head(b), mnl_nlmsg_batch_size(b)) }) {
            throw Self.error("mnl_socket_sendto", e)
        }
        let rx = UnsafeMutableRawPointer.allocate(byteCount: 8192, alignment: 8)
        defer { rx.deallocate() }
        for _ in 0..<expected {
            let n: Int
            switch valueOrErrno({ mnl_socket_recvfrom(nl, rx, 8192) }) {
            case .success(let got): n = got
            case .failure(let e): throw Self.error("mnl_socket_recvfrom", e)
            }
            if mnl_cb_run(rx, n, 0, portid, nil, nil) < 0 { throw Self.error("nf_tables batch", .current) }
        }
    }

    static func error(_ what: String, _ e: Errno) -> ProbeError {
        if e == .notPermitted || e == .permissionDenied {
            return .permissionDenied(what: "nf_tables trace table (\(what))", needs: "CAP_NET_ADMIN")
        }
        return .library(name: what, errno: e, message: "\(what): \(e)")
    }

    /// Creates the table, its chain and the marking rule for (daddr, l4 protocol, sport).
    func install(destination: IPAddress, proto: FlowProtocol, sourcePort: UInt16) throws(ProbeError) {
        try batch { b, seq in
            let t = NftnlTable()
            t.set(TableAttr.family, UInt32(NFPROTO_INET))
            t.set(TableAttr.name, name)
            t.set(TableAttr.flags, UInt32(NFT_TABLE_F_OWNER.rawValue))
            Self.append(b, &seq, NFT_MSG_NEWTABLE, flags: NLM_F_CREATE | NLM_F_ACK) { nftnl_table_nlmsg_build_payload($0, t.ptr) }

            let c = NftnlChain()
            c.set(ChainAttr.family, UInt32(NFPROTO_INET))
            c.set(ChainAttr.table, name)
            c.set(ChainAttr.name, "probe")
            c.set(ChainAttr.type, "filter")
            c.set(ChainAttr.hooknum, UInt32(NF_INET_LOCAL_OUT.rawValue))
            c.set(ChainAttr.priority, Int32(-400))
            c.set(ChainAttr.policy, UInt32(NF_ACCEPT))
            Self.append(b, &seq, NFT_MSG_NEWCHAIN, flags: NLM_F_CREATE | NLM_F_ACK) { nftnl_chain_nlmsg_build_payload($0, c.ptr) }

            let r = NftnlRule()
            r.set(RuleAttr.family, UInt32(NFPROTO_INET))
            r.set(RuleAttr.table, name)
            r.set(RuleAttr.chain, "probe")
            let v6 = destination.isIPv6
            Self.addMeta(r.ptr, key: NFT_META_NFPROTO.rawValue)
            Self.addCmp(r.ptr, [UInt8(v6 ? NFPROTO_IPV6 : NFPROTO_IPV4)])
            Self.addPayload(r.ptr, base: NFT_PAYLOAD_NETWORK_HEADER.rawValue, offset: v6 ? 24 : 16, length: v6 ? 16 : 4)
            Self.addCmp(r.ptr, destination.bytes)
            Self.addMeta(r.ptr, key: NFT_META_L4PROTO.rawValue)
            Self.addCmp(r.ptr, [proto.number])
            Self.addPayload(r.ptr, base: NFT_PAYLOAD_TRANSPORT_HEADER.rawValue, offset: 0, length: 2)
            Self.addCmp(r.ptr, [UInt8(sourcePort >> 8), UInt8(sourcePort & 0xff)])
            let imm = nftnl_expr_alloc("immediate")!
            nftnl_expr_set_u32(imm, Self.u16(NFTNL_EXPR_IMM_DREG), NFT_REG_1.rawValue)
            var one: UInt8 = 1
            nftnl_expr_set(imm, Self.u16(NFTNL_EXPR_IMM_DATA), &one, 1)
            nftnl_rule_add_expr(r.ptr, imm)
            let set = nftnl_expr_alloc("meta")!
            nftnl_expr_set_u32(set, Self.u16(NFTNL_EXPR_META_KEY), NFT_META_NFTRACE.rawValue)
            nftnl_expr_set_u32(set, Self.u16(NFTNL_EXPR_META_SREG), NFT_REG_1.rawValue)
            nftnl_rule_add_expr(r.ptr, set)
            Self.append(b, &seq, NFT_MSG_NEWRULE, flags: NLM_F_CREATE | NLM_F_APPEND | NLM_F_ACK) {
                nftnl_rule_nlmsg_build_payload($0, r.ptr)
            }
            return 3
        }
        installed = true
    }

    func remove() throws(ProbeError) {
        guard installed else { return }
        installed = false
        try batch { b, seq in
            let t = NftnlTable()
            t.set(TableAttr.family, UInt32(NFPROTO_INET))
            t.set(TableAttr.name, name)
            Self.append(b, &seq, NFT_MSG_DELTABLE, flags: NLM_F_ACK) { nftnl_table_nlmsg_build_payload($0, t.ptr) }
            return 1
        }
    }

    /// Appends one `inet` nf_tables message of `type` to batch `b` (sequence
    /// number `seq`, then advanced); `payload` writes the object into it.
    private static func append(
        _ b: OpaquePointer, _ seq: inout UInt32, _ type: nf_tables_msg_types, flags: Int32,
        _ payload: (UnsafeMutablePointer<nlmsghdr>) -> Void
    ) {
        let nlh = nftnl_nlmsg_build_hdr(
            mnl_nlmsg_batch_current(b).assumingMemoryBound(to: CChar.self), UInt16(type.rawValue), UInt16(NFPROTO_INET),
            UInt16(flags), seq)!
        seq &+= 1
        payload(nlh)
        _ = mnl_nlmsg_batch_next(b)
    }

    private static func addMeta(_ r: OpaquePointer, key: UInt32) {
        let e = nftnl_expr_alloc("meta")!
        nftnl_expr_set_u32(e, u16(NFTNL_EXPR_META_KEY), key)
        nftnl_expr_set_u32(e, u16(NFTNL_EXPR_META_DREG), NFT_REG_1.rawValue)
        nftnl_rule_add_expr(r, e)
    }

    private static func addCmp(_ r: OpaquePointer, _ data: [UInt8]) {
        let e = nftnl_expr_alloc("cmp")!
        nftnl_expr_set_u32(e, u16(NFTNL_EXPR_CMP_SREG), NFT_REG_1.rawValue)
        nftnl_expr_set_u32(e, u16(NFTNL_EXPR_CMP_OP), NFT_CMP_EQ.rawValue)
        data.withUnsafeBytes { _ = nftnl_expr_set(e, u16(NFTNL_EXPR_CMP_DATA), $0.baseAddress, UInt32($0.count)) }
        nftnl_rule_add_expr(r, e)
    }

    private static func addPayload(_ r: OpaquePointer, base: UInt32, offset: UInt32, length: UInt32) {
        let e = nftnl_expr_alloc("payload")!
        nftnl_expr_set_u32(e, u16(NFTNL_EXPR_PAYLOAD_BASE), base)
        nftnl_expr_set_u32(e, u16(NFTNL_EXPR_PAYLOAD_OFFSET), offset)
        nftnl_expr_set_u32(e, u16(NFTNL_EXPR_PAYLOAD_LEN), length)
        nftnl_expr_set_u32(e, u16(NFTNL_EXPR_PAYLOAD_DREG), NFT_REG_1.rawValue)
        nftnl_rule_add_expr(r, e)
    }
}
