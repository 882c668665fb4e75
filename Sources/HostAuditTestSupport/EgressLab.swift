import CSocket
import Foundation
import Synchronization

/// A three-namespace lab for `egress` tests: client — router — server on veth
/// pairs, with addresses that exist only inside these namespaces, so no probe
/// ever leaves them.
///
/// ```
/// client c0 10.66.1.2  fd66:1::2 ── r0 10.66.1.1 fd66:1::1 [router, forwarding]
///                                   r1 10.66.2.1 fd66:2::1 ── s0 server 10.66.2.2 fd66:2::2
///                                                               (+ 10.66.2.53 DNS, 10.66.2.54 dead DNS)
/// ```
/// The client routes only 10.66.2.0/24 and fd66:2::/64 via the router (so
/// 10.66.50.1 has no route). The router's `inet labrouter` table plays the
/// provider: it drops 10.66.2.2:80 and UDP/TCP 53 to 10.66.2.54 silently and
/// rejects ports 82 and 30000-30099 with ICMP admin-prohibited. Use `EgressLab.with { lab in … }`:
/// listeners are killed and the namespaces deleted even when the body throws.
package final class EgressLab: Sendable {
    package let client: NetNamespace
    package let router: NetNamespace
    package let server: NetNamespace
    private let processes = Mutex<[Process]>([])
    /// Numbers the listeners' ready files (listen-0, dns-1, …).
    private let started = Atomic(0)
    private let workDir: String

    package static let clientV4 = "10.66.1.2", clientV6 = "fd66:1::2"
    package static let routerClientV4 = "10.66.1.1", routerClientV6 = "fd66:1::1"
    package static let routerServerV4 = "10.66.2.1", routerServerV6 = "fd66:2::1"
    package static let serverV4 = "10.66.2.2", serverV6 = "fd66:2::2"
    package static let dnsV4 = "10.66.2.53"
    /// A name server address whose queries the router drops.
    package static let deadDNSV4 = "10.66.2.54"
    /// An address the client has no route to.
    package static let unroutedV4 = "10.66.50.1"

    /// The router's ruleset ("the provider").
    package static let routerRules = """
        table inet labrouter {
          chain forward {
            type filter hook forward priority filter; policy accept;
            ip daddr 10.66.2.2 tcp dport 80 counter drop comment "provider blocks :80"
            tcp dport 82 counter reject with icmpx type admin-prohibited
            ip daddr 10.66.2.54 udp dport 53 counter drop
            ip daddr 10.66.2.54 tcp dport 53 counter drop
            tcp dport 20000-29999 counter drop
            tcp dport 30000-30099 counter reject with icmpx type admin-prohibited
          }
        }
        """

    private init(client: NetNamespace, router: NetNamespace, server: NetNamespace, workDir: String) {
        self.client = client
        self.router = router
        self.server = server
        self.workDir = workDir
    }

    package static func with<T>(_ body: (EgressLab) throws -> T) throws -> T {
        let lab = try create()
        defer { lab.shutdown() }
        return try body(lab)
    }

    package static func create() throws -> EgressLab {
        let c = try NetNamespace.create(tag: "egc")
        let r: NetNamespace
        let s: NetNamespace
        do { r = try NetNamespace.create(tag: "egr") } catch { c.delete(); throw error }
        do { s = try NetNamespace.create(tag: "egs") } catch { c.delete(); r.delete(); throw error }
        let dir = try Fixtures.temporaryDirectory("ha-egresslab")
        let lab = EgressLab(client: c, router: r, server: s, workDir: dir)
        do {
            try lab.build()
        } catch {
            lab.shutdown()
            throw error
        }
        return lab
    }

    private func build() throws {
        // Create each veth pair inside a lab namespace: nothing appears in the default one.
        try client.check(["ip", "link", "add", "c0", "type", "veth", "peer", "name", "r0", "netns", router.name])
        try router.check(["ip", "link", "add", "r1", "type", "veth", "peer", "name", "s0", "netns", server.name])
        for ns in [client, router, server] {
            try ns.check(["sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0"])
        }
        func addr(_ ns: NetNamespace, _ dev: String, _ addrs: [String]) throws {
            for a in addrs { try ns.check(["ip", "addr", "add", a, "dev", dev] + (a.contains(":") ? ["nodad"] : [])) }
            try ns.check(["ip", "link", "set", dev, "up"])
        }
        try addr(client, "c0", ["10.66.1.2/24", "fd66:1::2/64"])
        try addr(router, "r0", ["10.66.1.1/24", "fd66:1::1/64"])
        try addr(router, "r1", ["10.66.2.1/24", "fd66:2::1/64"])
        try addr(server, "s0", ["10.66.2.2/24", "fd66:2::2/64", "10.66.2.53/32", "10.66.2.54/32"])
        try router.check(["sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1"])
        try client.check(["ip", "route", "add", "10.66.2.0/24", "via", "10.66.1.1"])
        try client.check(["ip", "-6", "route", "add", "fd66:2::/64", "via", "fd66:1::1"])
        try server.check(["ip", "route", "add", "10.66.1.0/24", "via", "10.66.2.1"])
        try server.check(["ip", "-6", "route", "add", "fd66:1::/64", "via", "fd66:2::1"])
        try router.check(["nft", "-f", "-"], stdin: Self.routerRules)
        try waitForPaths()
    }

    /// Waits until the client reaches the server over IPv4 and IPv6 (a reset
    /// from a closed port), so neighbour discovery is done before a test probes.
    private func waitForPaths() throws {
        let script = """
            import socket, sys, time
            for addr in sys.argv[1:]:
                fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
                deadline = time.monotonic() + 10
                while True:
                    s = socket.socket(fam, socket.SOCK_STREAM)
                    s.settimeout(0.3)
                    try:
                        s.connect((addr, 9))
                        break
                    except ConnectionRefusedError:
                        break
                    except OSError:
                        if time.monotonic() > deadline:
                            sys.exit("no path to " + addr)
                        time.sleep(0.05)
                    finally:
                        s.close()
            """
        try client.check(["/usr/bin/python3", "-c", script, Self.serverV4, Self.serverV6, Self.routerClientV4, Self.routerClientV6])
    }

    /// Loads an nft ruleset in the client namespace (local rules).
    package func clientRules(_ ruleset: String) throws {
        try client.check(["nft", "-f", "-"], stdin: ruleset)
    }

    /// TCP listeners in the server namespace (accept, then close), on both addresses.
    package func listen(_ ports: [Int], addresses: [String] = [serverV4, serverV6]) throws {
        let ready = workDir + "/listen-\(started.wrappingAdd(1, ordering: .relaxed).oldValue).ready"
        let spec = addresses.flatMap { a in ports.map { "\(a)|\($0)" } }.joined(separator: ",")
        try start(server, script: Self.listenerScript, arguments: [ready, spec], ready: ready)
    }

    /// A tiny UDP DNS server on 10.66.2.53: `records` maps a name to its
    /// addresses (A for dotted quads, AAAA for the rest); other names get NXDOMAIN.
    package func startDNS(_ records: [String: [String]]) throws {
        let ready = workDir + "/dns-\(started.wrappingAdd(1, ordering: .relaxed).oldValue).ready"
        let json = String(decoding: try JSONSerialization.data(withJSONObject: records), as: UTF8.self)
        try start(server, script: Self.dnsScript, arguments: [ready, Self.dnsV4, json], ready: ready)
    }

    /// Runs the built `hostaudit` in the client namespace.
    @discardableResult
    package func hostaudit(_ arguments: [String], timeout: TimeInterval = 120) throws -> CommandResult {
        try HostAuditCLI.run(in: client, arguments, timeout: timeout)
    }

    /// A root directory whose /etc/resolv.conf lists `nameservers` (for `--root`).
    package func resolverRoot(_ nameservers: [String], extra: String = "") throws -> String {
        let root = workDir + "/root-\(UUID().uuidString.prefix(6))"
        try Fixtures.write(nameservers.map { "nameserver \($0)\n" }.joined() + extra, to: "/etc/resolv.conf", under: root)
        try Fixtures.write("hosts: files dns\n", to: "/etc/nsswitch.conf", under: root)
        try Fixtures.write("127.0.0.1 localhost\n", to: "/etc/hosts", under: root)
        return root
    }

    private func start(_ ns: NetNamespace, script: String, arguments: [String], ready: String) throws {
        let p = try ns.startPython(script, arguments: arguments, ready: ready)
        processes.withLock { $0.append(p) }
    }

    package func shutdown() {
        let running = processes.withLock { list in
            defer { list.removeAll() }
            return list
        }
        for p in running where p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
        }
        client.delete()
        router.delete()
        server.delete()
        try? FileManager.default.removeItem(atPath: workDir)
    }

    deinit { shutdown() }

    static let listenerScript = """
        import selectors, socket, sys
        sel = selectors.DefaultSelector()
        for item in sys.argv[2].split(","):
            addr, port = item.rsplit("|", 1)
            fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
            s = socket.socket(fam, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((addr, int(port)))
            s.listen(4096)
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ)
        open(sys.argv[1], "w").close()
        while True:
            for key, _ in sel.select():
                try:
                    c, _ = key.fileobj.accept()
                    c.close()
                except OSError:
                    pass
        """

    static let dnsScript = """
        import json, socket, struct, sys
        records = {k.lower().rstrip("."): v for k, v in json.loads(sys.argv[3]).items()}
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((sys.argv[2], 53))
        open(sys.argv[1], "w").close()
        while True:
            q, peer = s.recvfrom(4096)
            if len(q) < 12:
                continue
            tid, flags, qd = struct.unpack("!HHH", q[:6])
            i, labels = 12, []
            while q[i] != 0:
                labels.append(q[i + 1:i + 1 + q[i]].decode().lower())
                i += q[i] + 1
            qtype = struct.unpack("!H", q[i + 1:i + 3])[0]
            question = q[12:i + 5]
            name = ".".join(labels)
            answers = b""
            count = 0
            rcode = 0
            if name not in records:
                rcode = 3
            else:
                for a in records[name]:
                    if qtype == 1 and ":" not in a:
                        answers += b"\\xc0\\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + socket.inet_pton(socket.AF_INET, a)
                        count += 1
                    elif qtype == 28 and ":" in a:
                        answers += b"\\xc0\\x0c" + struct.pack("!HHIH", 28, 1, 60, 16) + socket.inet_pton(socket.AF_INET6, a)
                        count += 1
            hdr = struct.pack("!HHHHHH", tid, 0x8180 | rcode, 1, count, 0, 0)
            s.sendto(hdr + question + answers, peer)
        """
}
