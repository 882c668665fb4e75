import Foundation
import HostAuditTestSupport
import Testing

/// A path of three routers for path-location tests, in namespaces the test
/// creates (nothing in the default namespace):
///
/// ```
/// client c0 10.67.1.2 ── 10.67.1.1 r1 10.67.2.1 ── 10.67.2.2 r2 10.67.3.1 ── 10.67.3.2 r3 10.67.4.1 ── 10.67.4.2 server
///        fd67:1::2       fd67:1::1    fd67:2::1     fd67:2::2    fd67:3::1     fd67:3::2    fd67:4::1     fd67:4::2
/// ```
/// Each router forwards and answers time-exceeded without a rate limit
/// (until a scenario adds one). `routerRules(n, …)` puts rules in router n's
/// forward hook, `serverRules` in the server's input hook; `reset()` removes
/// every scenario table. The server listens on TCP 443. `PathLab.with`
/// always deletes the namespaces and kills the listener.
final class PathLab: @unchecked Sendable {
    let client: NetNamespace
    let routers: [NetNamespace]
    let server: NetNamespace
    private var processes: [Process] = []
    private let workDir: String

    static let clientV4 = "10.67.1.2", clientV6 = "fd67:1::2"
    static let serverV4 = "10.67.4.2", serverV6 = "fd67:4::2"
    /// The address each router answers from (its client-side interface).
    static let routerV4 = ["10.67.1.1", "10.67.2.2", "10.67.3.2"]
    static let routerV6 = ["fd67:1::1", "fd67:2::2", "fd67:3::2"]

    private init(client: NetNamespace, routers: [NetNamespace], server: NetNamespace, workDir: String) {
        self.client = client
        self.routers = routers
        self.server = server
        self.workDir = workDir
    }

    static func with(_ body: (PathLab) throws -> Void) throws {
        var made: [NetNamespace] = []
        do {
            for tag in ["plc", "plr1", "plr2", "plr3", "pls"] { made.append(try NetNamespace.create(tag: tag)) }
        } catch {
            for ns in made { ns.delete() }
            throw error
        }
        let dir: String
        do { dir = try Fixtures.temporaryDirectory("ha-pathlab") } catch {
            for ns in made { ns.delete() }
            throw error
        }
        let lab = PathLab(client: made[0], routers: Array(made[1...3]), server: made[4], workDir: dir)
        defer { lab.shutdown() }
        try lab.build()
        try body(lab)
    }

    private func build() throws {
        let chain = [client] + routers + [server]
        for ns in chain {
            try ns.check(["sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0"])
        }
        // Links: segment n joins chain[n-1] ("a" side, .1) and chain[n] ("b" side, .2); the client is .2 on segment 1.
        for n in 1...4 {
            let left = chain[n - 1], right = chain[n]
            try left.check(["ip", "link", "add", "l\(n)", "type", "veth", "peer", "name", "p\(n)", "netns", right.name])
        }
        func addr(_ ns: NetNamespace, _ dev: String, _ v4: String, _ v6: String) throws {
            try ns.check(["ip", "addr", "add", v4, "dev", dev])
            try ns.check(["ip", "addr", "add", v6, "dev", dev, "nodad"])
            try ns.check(["ip", "link", "set", dev, "up"])
        }
        // Segment 1: client (l1) .2, r1 (p1) .1. Segments 2-4: left .1, right .2.
        try addr(client, "l1", "10.67.1.2/24", "fd67:1::2/64")
        try addr(routers[0], "p1", "10.67.1.1/24", "fd67:1::1/64")
        for n in 2...4 {
            try addr(chain[n - 1], "l\(n)", "10.67.\(n).1/24", "fd67:\(n)::1/64")
            try addr(chain[n], "p\(n)", "10.67.\(n).2/24", "fd67:\(n)::2/64")
        }
        // Routes: toward the server via the right neighbour, toward the client via the left.
        try client.check(["ip", "route", "add", "10.67.0.0/16", "via", "10.67.1.1"])
        try client.check(["ip", "-6", "route", "add", "fd67::/16", "via", "fd67:1::1"])
        for (i, r) in routers.enumerated() {
            let n = i + 1  // router n: left segment n, right segment n+1
            try r.check(["sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1"])
            try r.check(["sysctl", "-qw", "net.ipv4.icmp_ratelimit=0", "net.ipv6.icmp.ratelimit=0"])
            _ = try? r.run(["sysctl", "-qw", "net.ipv4.icmp_msgs_per_sec=100000", "net.ipv4.icmp_msgs_burst=100000"])
            for seg in (n + 2)...5 where seg <= 4 {
                try r.check(["ip", "route", "add", "10.67.\(seg).0/24", "via", "10.67.\(n + 1).2"])
                try r.check(["ip", "-6", "route", "add", "fd67:\(seg)::/64", "via", "fd67:\(n + 1)::2"])
            }
            for seg in 1..<n where n > 1 {
                let gw4 = n == 2 ? "10.67.2.1" : "10.67.\(n).1"
                let gw6 = n == 2 ? "fd67:2::1" : "fd67:\(n)::1"
                try r.check(["ip", "route", "add", "10.67.\(seg).0/24", "via", gw4])
                try r.check(["ip", "-6", "route", "add", "fd67:\(seg)::/64", "via", gw6])
            }
        }
        try server.check(["ip", "route", "add", "10.67.0.0/16", "via", "10.67.4.1"])
        try server.check(["ip", "-6", "route", "add", "fd67::/16", "via", "fd67:4::1"])
        try listen()
        try waitForPaths()
    }

    private func listen() throws {
        let ready = workDir + "/listen.ready"
        let script = """
            import selectors, socket, sys
            sel = selectors.DefaultSelector()
            for addr in sys.argv[2:]:
                s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_STREAM)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind((addr, 443)); s.listen(4096); s.setblocking(False)
                sel.register(s, selectors.EVENT_READ)
            open(sys.argv[1], "w").close()
            while True:
                for key, _ in sel.select():
                    try:
                        c, _ = key.fileobj.accept(); c.close()
                    except OSError:
                        pass
            """
        processes.append(try server.startPython(script, arguments: [ready, Self.serverV4, Self.serverV6], ready: ready))
    }

    /// Waits until the client reaches the server's port 443 over both families.
    private func waitForPaths() throws {
        let script = """
            import socket, sys, time
            for addr in sys.argv[1:]:
                deadline = time.monotonic() + 15
                while True:
                    s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_STREAM)
                    s.settimeout(0.5)
                    try:
                        s.connect((addr, 443)); break
                    except OSError:
                        if time.monotonic() > deadline: sys.exit("no path to " + addr)
                        time.sleep(0.1)
                    finally:
                        s.close()
            """
        try client.check(["/usr/bin/python3", "-c", script, Self.serverV4, Self.serverV6])
    }

    /// UDP services in the server namespace, on both addresses: a DNS server
    /// on 53 (answers every query: the question echoed, no records), an NTP
    /// responder on 123 (a 48-byte mode-4 reply to a mode-3 request) and an
    /// echo on each of `echoPorts`. Other UDP ports are closed (port-unreachable).
    func serveUDP(echoPorts: [Int]) throws {
        let ready = workDir + "/udp.ready"
        let script = """
            import selectors, socket, sys
            sel = selectors.DefaultSelector()
            ports = [53, 123] + [int(p) for p in sys.argv[2].split(",") if p]
            for addr in sys.argv[3:]:
                for port in ports:
                    s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_DGRAM)
                    s.bind((addr, port)); s.setblocking(False)
                    sel.register(s, selectors.EVENT_READ, port)
            open(sys.argv[1], "w").close()
            while True:
                for key, _ in sel.select():
                    try:
                        data, peer = key.fileobj.recvfrom(2048)
                    except OSError:
                        continue
                    port = key.data
                    if port == 53:
                        if len(data) < 12: continue
                        reply = data[:2] + bytes([0x81, 0x80]) + data[4:6] + bytes(6) + data[12:]
                    elif port == 123:
                        if len(data) < 48 or data[0] & 7 != 3: continue
                        reply = bytes([0x24, 2, 6, 0xEC]) + bytes(20) + data[40:48] + bytes(16)
                    else:
                        reply = data or b"."
                    try:
                        key.fileobj.sendto(reply, peer)
                    except OSError:
                        pass
            """
        let ports = echoPorts.map(String.init).joined(separator: ",")
        processes.append(try server.startPython(script, arguments: [ready, ports, Self.serverV4, Self.serverV6], ready: ready))
    }

    /// Rules in router `n`'s (1-3) `inet scenario` table, forward hook.
    func routerRules(_ n: Int, _ rules: [String]) throws {
        try load(routers[n - 1], hook: "forward", rules)
    }

    /// Rules in router `n`'s `inet scenario_out` table, output hook (its own ICMP answers).
    func routerOutput(_ n: Int, _ rules: [String]) throws {
        try load(routers[n - 1], hook: "output", rules)
    }

    /// Rules in the server's `inet scenario` table, input hook (its own firewall).
    func serverRules(_ rules: [String]) throws {
        try load(server, hook: "input", rules)
    }

    /// Rules in the client's `inet scenario` table, output hook.
    func clientRules(_ rules: [String]) throws {
        try load(client, hook: "output", rules)
    }

    private func load(_ ns: NetNamespace, hook: String, _ rules: [String]) throws {
        let table = "scenario_\(hook)"
        _ = try? ns.run(["nft", "delete", "table", "inet", table])
        try ns.check(
            ["nft", "-f", "-"],
            stdin: "table inet \(table) {\n chain c {\n  type filter hook \(hook) priority 0; policy accept;\n"
                + rules.map { "  \($0)\n" }.joined() + " }\n}\n")
    }

    /// Router `n` rate-limits its ICMP errors as Linux does by default (about 6 in a burst, then 1/s per peer).
    func rateLimit(_ n: Int) throws {
        try routers[n - 1].check(["sysctl", "-qw", "net.ipv4.icmp_ratelimit=1000", "net.ipv6.icmp.ratelimit=1000"])
    }

    func reset() {
        for (i, ns) in ([client] + routers + [server]).enumerated() {
            for hook in ["forward", "output", "input"] { _ = try? ns.run(["nft", "delete", "table", "inet", "scenario_\(hook)"]) }
            if (1...3).contains(i) { _ = try? ns.run(["sysctl", "-qw", "net.ipv4.icmp_ratelimit=0", "net.ipv6.icmp.ratelimit=0"]) }
        }
    }

    func shutdown() {
        for p in processes where p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
        }
        processes.removeAll()
        for ns in [client] + routers + [server] { ns.delete() }
        try? FileManager.default.removeItem(atPath: workDir)
    }

    /// `hostaudit egress ARGS --format json` in the client namespace: the probes.
    func egress(_ args: [String], timeout: Double = 1.5) throws -> [[String: Any]] {
        let r = try HostAuditCLI.run(in: client, ["egress"] + args + ["--timeout", String(timeout), "--format", "json"])
        guard !r.stdout.isEmpty else {
            Issue.record("hostaudit egress \(args.joined(separator: " ")) printed nothing: \(r)")
            return []
        }
        let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let doc = try #require(obj, "\(r)")
        return doc["probes"] as? [[String: Any]] ?? []
    }

    /// `hostaudit egress ARGS --format text` in the client namespace.
    func egressText(_ args: [String], timeout: Double = 1.5) throws -> String {
        try HostAuditCLI.run(in: client, ["egress"] + args + ["--timeout", String(timeout), "--format", "text"]).stdout
    }
}
