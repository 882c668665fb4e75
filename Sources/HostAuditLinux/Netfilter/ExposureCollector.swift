#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import HostAuditCore

/// Collects the `exposure` section: the listening sockets (sock_diag, with
/// their processes), the ruleset (netlink and legacy x_tables) and the
/// interfaces of the network namespace hostaudit runs in, classified by
/// `ExposureAnalyzer`. Live-kernel facts: unavailable with `--root`.
public struct ExposureCollector: Sendable {
    public let scope: CollectionScope
    public let reader: NetfilterReader

    public init(scope: CollectionScope = .live, reader: NetfilterReader = NetfilterReader()) {
        self.scope = scope
        self.reader = reader
    }

    public func collect() -> ExposureFacts {
        guard scope.isLive else {
            return .unavailable("exposure needs the live sockets and ruleset; not read with --root")
        }
        let sockets = SocketCollector(scope: scope).collect()
        guard sockets.available else {
            return .unavailable("sockets: " + (sockets.unavailableReason ?? "not available"))
        }
        let snapshot: RulesetSnapshot
        do { snapshot = try reader.snapshot() } catch { return .unavailable("ruleset: \(error)") }
        let interfaces = Self.interfaces()
        let analyzer = NFTTextRenderer.$interfaceNames.withValue(InterfaceNames.current()) {
            ExposureAnalyzer(evaluator: VerdictEvaluator(snapshot: snapshot), interfaces: interfaces, local: LocalAddresses.read())
        }
        // Listening TCP sockets and unconnected UDP sockets, one entry per protocol, address and port.
        var order: [String] = []
        var byKey: [String: (SocketFact, [SocketFact.Owner])] = [:]
        for s in sockets.list {
            let listening = s.protocolName == "tcp" ? s.state == "LISTEN" : s.remotePort == 0
            guard listening else { continue }
            let key = "\(s.protocolName) \(s.localAddress) \(s.localPort) \(s.interface)"
            if var e = byKey[key] {
                e.1 += s.processes.filter { o in !e.1.contains { $0.pid == o.pid } }
                byKey[key] = e
            } else {
                order.append(key)
                byKey[key] = (s, s.processes)
            }
        }
        var errors = sockets.errors
        let list: [ExposureFact] = order.compactMap { key in
            guard let (s, owners) = byKey[key] else { return nil }
            let verdict: ExposureFact.Verdict
            if let address = IPAddress(s.localAddress), let port = UInt16(exactly: s.localPort) {
                verdict = NFTTextRenderer.$interfaceNames.withValue(InterfaceNames.current()) {
                    analyzer.classify(proto: s.protocolName == "tcp" ? .tcp : .udp, address: address, port: port)
                }
            } else {
                errors.append("socket \(key): address not understood")
                verdict = .init(exposure: .unknown, reason: "the socket's address \(s.localAddress) is not understood")
            }
            return ExposureFact(
                protocolName: s.protocolName, family: s.family, localAddress: s.localAddress, localPort: s.localPort,
                interface: s.interface, processes: owners, verdict: verdict)
        }
        let traffic = NFTTextRenderer.$interfaceNames.withValue(InterfaceNames.current()) {
            analyzer.trafficControls(ephemeralPort: Self.ephemeralPort()) { _ = RouteLookup().complete(&$0) }
        }
        return ExposureFacts(
            available: true, netns: sockets.netns, outsideIpv4: analyzer.outsideIPv4.description,
            outsideIpv6: analyzer.outsideIPv6.description,
            interfaces: interfaces.filter { !$0.isLoopback }.map {
                .init(name: $0.name, index: Int($0.index), addresses: $0.addresses.map { "\($0.address)/\($0.length)" })
            },
            list: list, traffic: traffic, errors: errors)
    }

    /// The middle of `net.ipv4.ip_local_port_range` (which IPv6 shares): a
    /// source port the kernel would pick for an outbound connection; nil when
    /// unreadable.
    static func ephemeralPort() -> UInt16? {
        guard let c = try? HostFiles().read("/proc/sys/net/ipv4/ip_local_port_range", limit: 64) else { return nil }
        let parts = String(decoding: c.bytes, as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).compactMap { UInt16($0) }
        guard parts.count == 2, parts[0] <= parts[1] else { return nil }
        return parts[0] + (parts[1] - parts[0]) / 2
    }

    /// Interfaces with their addresses and prefix lengths (getifaddrs), in index order.
    package static func interfaces() -> [ExposureAnalyzer.HostInterface] {
        var head: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&head) == 0, let first = head else { return [] }
        defer { freeifaddrs(head) }
        var out: [String: ExposureAnalyzer.HostInterface] = [:]
        var p: UnsafeMutablePointer<ifaddrs>? = first
        while let ifa = p {
            defer { p = ifa.pointee.ifa_next }
            guard let cname = ifa.pointee.ifa_name else { continue }
            let name = String(cString: cname)
            let flags = ifa.pointee.ifa_flags
            guard flags & UInt32(IFF_UP) != 0 else { continue }
            var entry = out[name] ?? .init(
                name: name, index: if_nametoindex(cname), isLoopback: flags & UInt32(IFF_LOOPBACK) != 0, addresses: [])
            if let a = LocalAddresses.address(ifa.pointee.ifa_addr) {
                let mask = LocalAddresses.address(ifa.pointee.ifa_netmask)
                let len = mask.map { $0.bytes.reduce(0) { $0 + $1.nonzeroBitCount } } ?? (a.isIPv6 ? 128 : 32)
                entry.addresses.append(.init(a, len))
            }
            out[name] = entry
        }
        return out.values.filter { !$0.addresses.isEmpty }.sorted { $0.index < $1.index }
    }
}
