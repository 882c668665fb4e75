#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CNetfilter
import CSocket
import HostAuditCore
import SystemPackage

/// Asks the kernel which route, source address and output interface it would
/// use for a flow (rtnetlink `RTM_GETROUTE` over libmnl, like `ip route get`).
package struct RouteLookup: Sendable {
    package init() {}

    // <linux/rtnetlink.h>, spelled out here so no header joins the shared C module.
    static let rtmNewRoute: UInt16 = 24
    static let rtmGetRoute: UInt16 = 26
    static let rtaDst: UInt16 = 1, rtaOif: UInt16 = 4, rtaGateway: UInt16 = 5, rtaPrefsrc: UInt16 = 7
    static let rtaMark: UInt16 = 16, rtaUID: UInt16 = 25, rtaIPProto: UInt16 = 27, rtaSport: UInt16 = 28
    static let rtaDport: UInt16 = 29, rtaSrc: UInt16 = 2
    static let routeTypes = [
        1: "unicast", 2: "local", 3: "broadcast", 4: "anycast", 5: "multicast", 6: "blackhole", 7: "unreachable",
        8: "prohibit", 9: "throw", 10: "nat",
    ]

    /// The route back to `peer` as nft_fib's reverse-path lookup asks for it
    /// (`fib saddr …` on an answer from `peer` to `local`): to the peer, from
    /// the local address, uid 0, mark 0, without protocol or ports. Nil when
    /// the kernel gives no usable answer.
    func reversePath(peer: IPAddress, local: IPAddress) -> LocalKnowledge.PeerRoute? {
        let flow = VerdictFlow(destination: peer, destinationPort: 0, source: local, uid: 0, mark: 0)
        let r = lookup(flow, withPorts: false)
        guard r.status == .ok || r.status == .noRoute, let type = r.type else { return nil }
        guard let index = r.outputInterfaceIndex, let name = r.outputInterface else {
            // A route that refuses (blackhole, unreachable, prohibit) names no device.
            return r.status == .noRoute ? LocalKnowledge.PeerRoute(peer: peer, type: type, outputInterfaceIndex: 0, outputInterface: "") : nil
        }
        return LocalKnowledge.PeerRoute(peer: peer, type: type, outputInterfaceIndex: index, outputInterface: name)
    }

    /// The kernel's answer; errors that mean "no route" become `.noRoute`.
    package func lookup(_ flow: VerdictFlow, withPorts: Bool = true) -> RouteInfo {
        guard let nl = mnl_socket_open(NETLINK_ROUTE) else {
            return RouteInfo(status: .unknown, error: "netlink route socket: \(Errno.current)")
        }
        defer { mnl_socket_close(nl) }
        if case .failure(let e) = valueOrErrno({ mnl_socket_bind(nl, 0, pid_t(MNL_SOCKET_AUTOPID)) }) {
            return RouteInfo(status: .unknown, error: "mnl_socket_bind: \(e)")
        }
        let portid = mnl_socket_get_portid(nl)
        let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: 8192, alignment: 8)
        defer { buf.deallocate() }
        buf.initializeMemory(as: UInt8.self, repeating: 0)
        let nlh = mnl_nlmsg_put_header(buf.baseAddress)!
        nlh.pointee.nlmsg_type = Self.rtmGetRoute
        nlh.pointee.nlmsg_flags = UInt16(NLM_F_REQUEST)
        let seq = UInt32(truncatingIfNeeded: time(nil))
        nlh.pointee.nlmsg_seq = seq
        // struct rtmsg { family, dst_len, src_len, tos, table, protocol, scope, type; u32 flags }
        let rtm = mnl_nlmsg_put_extra_header(nlh, 12)!.assumingMemoryBound(to: UInt8.self)
        let family: UInt8 = flow.isIPv6 ? UInt8(AF_INET6) : UInt8(AF_INET)
        rtm[0] = family
        rtm[1] = flow.isIPv6 ? 128 : 32
        flow.destination.bytes.withUnsafeBytes { mnl_attr_put(nlh, Self.rtaDst, $0.count, $0.baseAddress) }
        if let src = flow.source {
            rtm[2] = flow.isIPv6 ? 128 : 32
            src.bytes.withUnsafeBytes { mnl_attr_put(nlh, Self.rtaSrc, $0.count, $0.baseAddress) }
        }
        if let mark = flow.mark { mnl_attr_put_u32(nlh, Self.rtaMark, mark) }
        if let uid = flow.uid { mnl_attr_put_u32(nlh, Self.rtaUID, uid) }
        if withPorts {
            mnl_attr_put_u8(nlh, Self.rtaIPProto, flow.proto.number)
            mnl_attr_put_u16(nlh, Self.rtaDport, flow.destinationPort.bigEndian)
            if let sport = flow.sourcePort { mnl_attr_put_u16(nlh, Self.rtaSport, sport.bigEndian) }
        }

        if case .failure(let e) = valueOrErrno({ mnl_socket_sendto(nl, nlh, Int(nlh.pointee.nlmsg_len)) }) {
            return RouteInfo(status: .unknown, error: "RTM_GETROUTE: \(e)")
        }
        let n: Int
        switch valueOrErrno({ mnl_socket_recvfrom(nl, buf.baseAddress, buf.count) }) {
        case .success(let got) where got > 0: n = got
        case .success: return RouteInfo(status: .unknown, error: "RTM_GETROUTE: \(Errno.current)")
        case .failure(let e): return RouteInfo(status: .unknown, error: "RTM_GETROUTE: \(e)")
        }
        var len = Int32(n)
        var m = UnsafePointer(buf.baseAddress!.assumingMemoryBound(to: nlmsghdr.self))
        while mnl_nlmsg_ok(m, len) {
            defer { m = UnsafePointer(mnl_nlmsg_next(m, &len)) }
            guard m.pointee.nlmsg_seq == seq, m.pointee.nlmsg_pid == 0 || m.pointee.nlmsg_pid == portid else { continue }
            if Int32(m.pointee.nlmsg_type) == NLMSG_ERROR {
                let code = -mnl_nlmsg_get_payload(m).loadUnaligned(as: Int32.self)
                switch code {
                case ENETUNREACH, EHOSTUNREACH, EACCES, EINVAL, EPERM:
                    let type = [ENETUNREACH: "no-match", EHOSTUNREACH: "unreachable", EACCES: "prohibit", EINVAL: "blackhole", EPERM: "prohibit"][code]
                    return RouteInfo(status: .noRoute, type: type, error: Errno(rawValue: code).description)
                default:
                    return RouteInfo(status: .unknown, error: "RTM_GETROUTE: \(Errno(rawValue: code))")
                }
            }
            guard m.pointee.nlmsg_type == Self.rtmNewRoute else { continue }
            return parse(m, family: family)
        }
        return RouteInfo(status: .unknown, error: "RTM_GETROUTE: no answer")
    }

    func parse(_ m: UnsafePointer<nlmsghdr>, family: UInt8) -> RouteInfo {
        let payload = mnl_nlmsg_get_payload(m)!.assumingMemoryBound(to: UInt8.self)
        let type = Int(payload[7])
        var info = RouteInfo(status: .ok, type: Self.routeTypes[type] ?? "type \(type)")
        final class Box { var attrs: [UInt16: [UInt8]] = [:] }
        let box = Box()
        let cb: mnl_attr_cb_t = { attr, data in
            let box = Unmanaged<Box>.fromOpaque(data!).takeUnretainedValue()
            let type = mnl_attr_get_type(attr)
            let len = Int(mnl_attr_get_payload_len(attr))
            let p = mnl_attr_get_payload(attr)!
            box.attrs[type] = [UInt8](UnsafeRawBufferPointer(start: p, count: len))
            return MNL_CB_OK
        }
        withExtendedLifetime(box) {
            _ = mnl_attr_parse(m, 12, cb, Unmanaged.passUnretained(box).toOpaque())
        }
        if let b = box.attrs[Self.rtaPrefsrc] { info.source = IPAddress(bytes: b) }
        if let b = box.attrs[Self.rtaGateway] { info.gateway = IPAddress(bytes: b) }
        if let b = box.attrs[Self.rtaOif], b.count == 4 {
            let index = b.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
            info.outputInterfaceIndex = index
            info.outputInterface = Self.interfaceName(index)
        }
        if [6, 7, 8].contains(type) {
            info.status = .noRoute
        }
        return info
    }

    static func interfaceName(_ index: UInt32) -> String? {
        var name = [CChar](repeating: 0, count: Int(IF_NAMESIZE) + 1)
        guard if_indextoname(index, &name) != nil else { return nil }
        return String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Fills what the caller left unknown in `flow` (source address, output
    /// interface) from the kernel's route, and the interface's index from its
    /// name. Returns the route (status `given` when nothing had to be looked up).
    @discardableResult
    package func complete(_ flow: inout VerdictFlow) -> RouteInfo {
        var route: RouteInfo
        if flow.source == nil || flow.outputInterface == nil {
            route = lookup(flow)
            if route.status == .ok {
                if flow.source == nil { flow.source = route.source }
                if flow.outputInterface == nil {
                    flow.outputInterface = route.outputInterface
                    flow.outputInterfaceIndex = route.outputInterfaceIndex
                }
            }
        } else {
            route = RouteInfo(status: .given, source: flow.source, outputInterface: flow.outputInterface)
        }
        if let name = flow.outputInterface, flow.outputInterfaceIndex == nil {
            flow.outputInterfaceIndex = Self.interfaceIndex(name)
        }
        return route
    }

    static func interfaceIndex(_ name: String) -> UInt32? {
        let i = if_nametoindex(name)
        return i == 0 ? nil : i
    }
}

/// The host's own addresses (for `addrtype`), read with getifaddrs.
package enum LocalAddresses {
    package static func read() -> LocalKnowledge {
        var head: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&head) == 0, let first = head else { return .unknown }
        defer { freeifaddrs(head) }
        var local: [IPAddress] = []
        var broadcast: [IPAddress] = []
        var p: UnsafeMutablePointer<ifaddrs>? = first
        while let ifa = p {
            defer { p = ifa.pointee.ifa_next }
            if let a = address(ifa.pointee.ifa_addr) { local.append(a) }
            if ifa.pointee.ifa_flags & UInt32(IFF_BROADCAST) != 0, let b = address(ifa.pointee.ifa_ifu.ifu_broadaddr) {
                broadcast.append(b)
            }
        }
        return LocalKnowledge(localAddresses: local, broadcastAddresses: broadcast, isComplete: true)
    }

    static func address(_ sa: UnsafeMutablePointer<sockaddr>?) -> IPAddress? {
        guard let sa else { return nil }
        switch Int32(sa.pointee.sa_family) {
        case AF_INET:
            return sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                withUnsafeBytes(of: $0.pointee.sin_addr) { IPAddress(bytes: Array($0)) }
            }
        case AF_INET6:
            return sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                withUnsafeBytes(of: $0.pointee.sin6_addr) { IPAddress(bytes: Array($0)) }
            }
        default:
            return nil
        }
    }
}
