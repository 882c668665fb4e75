#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CNetfilter
import HostAuditCore

/// Names the route (and policy rule) that refuses a destination.
///
/// When `RTM_GETROUTE` refuses a flow the kernel answers only with an errno
/// (EACCES for `prohibit`, EHOSTUNREACH for `unreachable`, EINVAL for
/// `blackhole`, ENETUNREACH for no route or a `throw` with nothing after it).
/// To name the route, this dumps the policy rules (`RTM_GETRULE`) and every
/// table's routes (`RTM_GETROUTE` with `NLM_F_DUMP`) and walks them as
/// fib_lookup does: rules by priority, longest prefix in the rule's table,
/// `throw` continuing with the next rule.
struct RouteTables: Sendable {
    struct Route: Sendable, Equatable {
        var family: UInt8
        var dst: [UInt8]
        var dstLen: Int
        var table: UInt32
        var type: Int
        var priority: UInt32
        var description: String
    }

    struct Rule: Sendable, Equatable {
        var priority: UInt32
        var action: Int
        var table: UInt32
        var dst: [UInt8]?
        var dstLen: Int
        var src: [UInt8]?
        var srcLen: Int
        var invert: Bool
        var fwmark: UInt32?
        var fwmask: UInt32?
        /// Selectors not evaluated here (iif, oif, uid range, ports, tos, l3mdev, goto).
        var unevaluated: [String]
        var description: String
    }

    var routes: [Route]
    var rules: [Rule]

    init(routes: [Route], rules: [Rule]) {
        self.routes = routes
        self.rules = rules
    }

    static let rtmNewRoute: UInt16 = 24, rtmGetRoute: UInt16 = 26, rtmNewRule: UInt16 = 32, rtmGetRule: UInt16 = 34
    static let typeNames = [
        1: "unicast", 2: "local", 3: "broadcast", 4: "anycast", 5: "multicast", 6: "blackhole", 7: "unreachable",
        8: "prohibit", 9: "throw", 10: "nat",
    ]

    /// Reads both families' rules and routes; nil when netlink fails.
    static func read(ipv6: Bool) -> RouteTables? {
        let family = UInt8(ipv6 ? AF_INET6 : AF_INET)
        guard let routeMsgs = dump(type: rtmGetRoute, family: family), let ruleMsgs = dump(type: rtmGetRule, family: family)
        else { return nil }
        var routes: [Route] = []
        for m in routeMsgs where m.type == rtmNewRoute && m.header.count >= 12 {
            let h = m.header
            var table = UInt32(h[4])
            if let t = m.attrs[15], t.count == 4 { table = t.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) } }
            let dst = m.attrs[1] ?? []
            let prio = m.attrs[6].flatMap { $0.count == 4 ? $0.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) } : nil } ?? 0
            let type = Int(h[7])
            var r = Route(family: h[0], dst: dst, dstLen: Int(h[1]), table: table, type: type, priority: prio, description: "")
            r.description = describe(r)
            routes.append(r)
        }
        var rules: [Rule] = []
        for m in ruleMsgs where m.type == rtmNewRule && m.header.count >= 12 {
            let h = m.header
            func u32(_ a: UInt16) -> UInt32? {
                m.attrs[a].flatMap { $0.count == 4 ? $0.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) } : nil }
            }
            let flags = h.count >= 12 ? h[8...11].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) } : 0
            var unevaluated: [String] = []
            for (a, name) in [(3, "iif"), (17, "oif"), (20, "uidrange"), (22, "ipproto"), (23, "sport"), (24, "dport"), (19, "l3mdev"), (4, "goto")]
            where m.attrs[UInt16(a)] != nil {
                unevaluated.append(name)
            }
            if h[3] != 0 { unevaluated.append("tos") }
            var rule = Rule(
                priority: u32(6) ?? 0, action: Int(h[7]), table: u32(15) ?? UInt32(h[4]), dst: m.attrs[1], dstLen: Int(h[1]),
                src: m.attrs[2], srcLen: Int(h[2]), invert: flags & 2 != 0, fwmark: u32(10), fwmask: u32(16),
                unevaluated: unevaluated, description: "")
            rule.description = describe(rule)
            rules.append(rule)
        }
        rules.sort { $0.priority < $1.priority }
        return RouteTables(routes: routes, rules: rules)
    }

    /// Walks the rules for `destination` from `source` with `mark` as the kernel would.
    func resolve(destination: [UInt8], source: [UInt8]?, mark: UInt32 = 0) -> RouteEvidence {
        var exact = true
        for rule in rules {
            var matches = Self.prefixMatch(destination, rule.dst, rule.dstLen)
            if let src = rule.src, rule.srcLen > 0 {
                if let source { matches = matches && Self.prefixMatch(source, src, rule.srcLen) } else { exact = false }
            }
            if let fwmark = rule.fwmark {
                let mask = rule.fwmask ?? 0xFFFF_FFFF
                matches = matches && (mark & mask) == fwmark
            }
            if rule.invert { matches = !matches }
            if !rule.unevaluated.isEmpty {
                // A selector not evaluated: the rule may or may not apply.
                if matches { exact = false }
                continue
            }
            guard matches else { continue }
            switch rule.action {
            case 1:  // FR_ACT_TO_TBL
                let candidates = routes.filter { $0.table == rule.table && Self.prefixMatch(destination, $0.dst, $0.dstLen) }
                guard let best = candidates.max(by: { ($0.dstLen, -Int64($0.priority)) < ($1.dstLen, -Int64($1.priority)) }) else {
                    continue
                }
                let ruleText = rule.description.hasPrefix("0:") || rule.description.hasPrefix("32766:") ? nil : rule.description
                switch best.type {
                case 9: continue  // throw: go on with the next rule
                case 6: return RouteEvidence(kind: .blackhole, route: best.description, rule: ruleText, exact: exact)
                case 7: return RouteEvidence(kind: .unreachable, route: best.description, rule: ruleText, exact: exact)
                case 8: return RouteEvidence(kind: .prohibit, route: best.description, rule: ruleText, exact: exact)
                case 2: return RouteEvidence(kind: .local, route: best.description, rule: ruleText, exact: exact)
                case 1: return RouteEvidence(kind: .unicast, route: best.description, rule: ruleText, exact: exact)
                default: return RouteEvidence(kind: .other, route: best.description, rule: ruleText, exact: exact)
                }
            case 6: return RouteEvidence(kind: .blackhole, rule: rule.description, exact: exact)
            case 7: return RouteEvidence(kind: .unreachable, rule: rule.description, exact: exact)
            case 8: return RouteEvidence(kind: .prohibit, rule: rule.description, exact: exact)
            default: continue
            }
        }
        // Nothing matched, or every match was a throw: name the last throw seen.
        let throwRoute = rules.lazy.compactMap { rule -> Route? in
            guard rule.action == 1 else { return nil }
            return routes.filter { $0.table == rule.table && Self.prefixMatch(destination, $0.dst, $0.dstLen) }
                .max { $0.dstLen < $1.dstLen }
        }.first { $0.type == 9 }
        if let t = throwRoute { return RouteEvidence(kind: .throw, route: t.description, exact: exact) }
        return RouteEvidence(kind: .noMatch, exact: exact)
    }

    static func prefixMatch(_ addr: [UInt8], _ prefix: [UInt8]?, _ len: Int) -> Bool {
        guard len > 0, let prefix else { return true }
        guard prefix.count == addr.count else { return false }
        var bits = len
        for i in 0..<addr.count where bits > 0 {
            let take = min(8, bits)
            let mask: UInt8 = take == 8 ? 0xFF : ~(0xFF >> UInt8(take))
            if addr[i] & mask != prefix[i] & mask { return false }
            bits -= take
        }
        return true
    }

    static func tableName(_ t: UInt32) -> String {
        switch t {
        case 254: return "main"
        case 255: return "local"
        case 253: return "default"
        default: return String(t)
        }
    }

    static func prefixText(_ b: [UInt8], _ len: Int, v6: Bool) -> String {
        if b.isEmpty || len == 0 { return "default" }
        let a = IPAddress(bytes: b)?.description ?? "?"
        return len == (v6 ? 128 : 32) ? a : "\(a)/\(len)"
    }

    static func describe(_ r: Route) -> String {
        let type = typeNames[r.type] ?? "type \(r.type)"
        let prefix = prefixText(r.dst, r.dstLen, v6: Int32(r.family) == AF_INET6)
        return "\(r.type == 1 ? "" : type + " ")\(prefix) table \(tableName(r.table))"
    }

    static func describe(_ r: Rule) -> String {
        var s = "\(r.priority): \(r.invert ? "not " : "")from "
        s += r.src.map { prefixText($0, r.srcLen, v6: $0.count == 16) } ?? "all"
        if let d = r.dst, r.dstLen > 0 { s += " to \(prefixText(d, r.dstLen, v6: d.count == 16))" }
        if let m = r.fwmark { s += " fwmark 0x\(String(m, radix: 16))" + (r.fwmask.map { $0 == 0xFFFF_FFFF ? "" : "/0x\(String($0, radix: 16))" } ?? "") }
        if !r.unevaluated.isEmpty { s += " (" + r.unevaluated.joined(separator: ", ") + " …)" }
        switch r.action {
        case 1: s += " lookup \(tableName(r.table))"
        case 6: s += " blackhole"
        case 7: s += " unreachable"
        case 8: s += " prohibit"
        default: s += " action \(r.action)"
        }
        return s
    }

    struct Message {
        var type: UInt16
        var header: [UInt8]
        var attrs: [UInt16: [UInt8]]
    }

    /// One netlink dump: every message until NLMSG_DONE.
    static func dump(type: UInt16, family: UInt8) -> [Message]? {
        guard let nl = mnl_socket_open(NETLINK_ROUTE) else { return nil }
        defer { mnl_socket_close(nl) }
        guard case .success = valueOrErrno({ mnl_socket_bind(nl, 0, pid_t(MNL_SOCKET_AUTOPID)) }) else { return nil }
        let portid = mnl_socket_get_portid(nl)
        let size = 32768
        let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 8)
        defer { buf.deallocate() }
        buf.initializeMemory(as: UInt8.self, repeating: 0)
        let nlh = mnl_nlmsg_put_header(buf.baseAddress)!
        nlh.pointee.nlmsg_type = type
        nlh.pointee.nlmsg_flags = UInt16(NLM_F_REQUEST | NLM_F_DUMP)
        let seq = UInt32(truncatingIfNeeded: time(nil)) &+ UInt32(type)
        nlh.pointee.nlmsg_seq = seq
        let hdr = mnl_nlmsg_put_extra_header(nlh, 12)!.assumingMemoryBound(to: UInt8.self)
        hdr[0] = family
        guard case .success = valueOrErrno({ mnl_socket_sendto(nl, nlh, Int(nlh.pointee.nlmsg_len)) }) else { return nil }
        var out: [Message] = []
        final class Box { var attrs: [UInt16: [UInt8]] = [:] }
        while true {
            guard case .success(let n) = valueOrErrno({ mnl_socket_recvfrom(nl, buf.baseAddress, size) }), n > 0 else {
                return nil
            }
            var len = Int32(n)
            var m = UnsafePointer(buf.baseAddress!.assumingMemoryBound(to: nlmsghdr.self))
            while mnl_nlmsg_ok(m, len) {
                defer { m = UnsafePointer(mnl_nlmsg_next(m, &len)) }
                guard m.pointee.nlmsg_seq == seq, m.pointee.nlmsg_pid == 0 || m.pointee.nlmsg_pid == portid else { continue }
                let t = m.pointee.nlmsg_type
                if Int32(t) == NLMSG_DONE { return out }
                if Int32(t) == NLMSG_ERROR {
                    let code = mnl_nlmsg_get_payload(m).loadUnaligned(as: Int32.self)
                    if code == 0 { continue }
                    return nil
                }
                let payloadLen = Int(m.pointee.nlmsg_len) - 16
                guard payloadLen >= 12 else { continue }
                let p = mnl_nlmsg_get_payload(m)!
                let header = [UInt8](UnsafeRawBufferPointer(start: p, count: 12))
                let box = Box()
                let cb: mnl_attr_cb_t = { attr, data in
                    let box = Unmanaged<Box>.fromOpaque(data!).takeUnretainedValue()
                    let len = Int(mnl_attr_get_payload_len(attr))
                    box.attrs[mnl_attr_get_type(attr)] = [UInt8](UnsafeRawBufferPointer(start: mnl_attr_get_payload(attr), count: len))
                    return MNL_CB_OK
                }
                withExtendedLifetime(box) {
                    _ = mnl_attr_parse(m, 12, cb, Unmanaged.passUnretained(box).toOpaque())
                }
                out.append(Message(type: t, header: header, attrs: box.attrs))
            }
        }
    }
}

extension RouteLookup {
    /// The route evidence for a destination: the kernel's own answer, and
    /// when it refuses, the route or policy rule that refuses, named.
    package func evidence(for address: String, uid: UInt32? = nil) -> RouteEvidence? {
        guard let dst = IPAddress(address) else { return nil }
        var flow = VerdictFlow(destination: dst, destinationPort: 0, proto: .tcp)
        flow.uid = uid
        let info = lookup(flow)
        let kernelError: String? = info.status == .noRoute ? info.error : nil
        guard let tables = RouteTables.read(ipv6: dst.bytes.count == 16) else {
            guard info.status == .noRoute else { return nil }
            let kind = RouteEvidence.Kind(rawValue: info.type ?? "") ?? .noMatch
            return RouteEvidence(kind: kind, kernelError: kernelError, exact: false)
        }
        var ev = tables.resolve(destination: dst.bytes, source: info.source?.bytes)
        ev.kernelError = kernelError
        // The walk must agree with the kernel; otherwise say only what the kernel said.
        let kernelRefuses = info.status == .noRoute
        if kernelRefuses != ev.refuses {
            return kernelRefuses
                ? RouteEvidence(kind: RouteEvidence.Kind(rawValue: info.type ?? "") ?? .noMatch, kernelError: kernelError, exact: false)
                : RouteEvidence(kind: .unicast, exact: false)
        }
        return ev
    }
}
