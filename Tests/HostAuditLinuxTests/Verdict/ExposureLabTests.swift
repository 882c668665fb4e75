import Foundation
import HostAuditCore
import HostAuditLinux
import HostAuditTestSupport
import Testing

/// `facts exposure` against the real kernel: a server namespace with five
/// listening sockets behind nftables, iptables-legacy and a named set, and
/// a client namespace that connects to each from an outside address, from
/// inside 10.0.0.0/8 and from the set's member. The classification must
/// agree with the real connections in every case.
@Suite(.privileged, .serialized) struct ExposureLabTests {
    static let server = "192.168.77.1"
    /// Client source addresses: the analyzer's outside address, one inside 10.0.0.0/8, the set's member.
    static let sources = ["203.0.113.10", "10.9.0.2", "172.16.5.5"]

    @Test func listeningSocketsClassifiedAsRealConnectionsConfirm() throws {
        try NetNamespace.with(tag: "expsrv") { srv in
            try NetNamespace.with(tag: "expcli") { cli in
                try Self.wire(srv, cli)
                let t = try TestProcesses("exposure")
                defer { t.stopAll() }
                let listeners = """
                    import os, socket, sys, time
                    socks = []
                    for addr, port in [("0.0.0.0", 6379), ("127.0.0.1", 5432), ("0.0.0.0", 22), ("0.0.0.0", 9200), ("0.0.0.0", 8443)]:
                        s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                        s.bind((addr, port)); s.listen(16); socks.append(s)
                    open(sys.argv[1], "w").write(str(os.getpid()))
                    time.sleep(600)
                    """
                try t.start("/usr/sbin/ip", ["netns", "exec", srv.name, "/usr/bin/python3", "-c", listeners, t.dir + "/pid"])
                let pid = Int32(try t.waitForFile(t.dir + "/pid", timeout: 120))!
                t.adopt(pid)

                let r = try HostAuditCLI.run(in: srv, ["facts", "exposure", "--format", "json"])
                #expect(r.status == 0, "\(r.stderr)")
                let doc = try LiveScan.json(r)
                let e = try #require(doc["exposure"] as? [String: Any])
                #expect(e["available"] as? Bool == true, "\(e)")
                #expect(e["outside_ipv4"] as? String == "203.0.113.10")
                let list = try #require(e["list"] as? [[String: Any]])
                func entry(_ port: Int) -> [String: Any]? {
                    list.first { $0["protocol"] as? String == "tcp" && $0["local_port"] as? Int == port }
                }
                func exposure(_ port: Int) -> String? { entry(port)?["exposure"] as? String }
                func sources(_ port: Int) -> [String] {
                    (entry(port)?["sources"] as? [[String: Any]] ?? []).compactMap { $0["source"] as? String }
                }
                #expect(exposure(6379) == "exposed", "\(entry(6379) ?? [:])")
                #expect(exposure(5432) == "loopback-only", "\(entry(5432) ?? [:])")
                #expect(exposure(22) == "restricted", "\(entry(22) ?? [:])")
                #expect(sources(22) == ["10.0.0.0/8"], "\(entry(22) ?? [:])")
                #expect(exposure(9200) == "blocked", "\(entry(9200) ?? [:])")
                let blockedBy = entry(9200)?["decided_by"] as? [String: Any]
                #expect(blockedBy?["legacy"] as? Bool == true && blockedBy?["chain"] as? String == "INPUT", "\(entry(9200) ?? [:])")
                #expect(exposure(8443) == "restricted", "\(entry(8443) ?? [:])")
                let setSource = (entry(8443)?["sources"] as? [[String: Any]])?.first
                #expect(sources(8443) == ["172.16.5.5"], "\(entry(8443) ?? [:])")
                #expect(setSource?["kind"] as? String == "set" && setSource?["set"] as? String == "inet lab @allowed")
                // Only the policy accept lets 6379 in: no rule covers it; every other port has one.
                #expect(entry(6379)?["covered_by_rule"] as? Bool == false)
                #expect(entry(22)?["covered_by_rule"] as? Bool == true)
                #expect(entry(9200)?["covered_by_rule"] as? Bool == true)
                // The traffic checks on the same ruleset: the input policy accepts everything,
                // including 127.0.0.1 claimed on ha0.
                let traffic = try #require(e["traffic"] as? [String: Any], "\(e)")
                func met(_ key: String) -> Bool? { (traffic[key] as? [String: Any])?["met"] as? Bool }
                #expect(met("loopback_accepted") == true, "\(traffic)")
                #expect(met("loopback_spoof_dropped") == false, "\(traffic)")
                #expect(met("outbound_accepted") == true, "\(traffic)")
                #expect(met("replies_accepted") == true, "\(traffic)")
                let owners = (entry(6379)?["processes"] as? [[String: Any]] ?? []).compactMap { $0["pid"] as? Int }
                #expect(owners == [Int(pid)])

                // Real connections from the client namespace, every port from every source, concurrently.
                let connected = try Self.connectAll(cli, ports: [6379, 5432, 22, 9200, 8443])
                for port in [6379, 5432, 22, 9200, 8443] {
                    guard let kind = exposure(port) else { continue }
                    for src in Self.sources {
                        let predicted: Bool
                        switch kind {
                        case "exposed": predicted = true
                        case "restricted":
                            predicted = sources(port).contains { s in Self.contains(s, IPAddress(src)!) }
                        default: predicted = false
                        }
                        #expect(
                            connected["\(src) \(port)"] == predicted,
                            "port \(port) (\(kind)) from \(src): classification says \(predicted), connect says \(connected["\(src) \(port)"].map(String.init(describing:)) ?? "nothing")")
                    }
                }
            }
        }
    }

    /// The traffic checks (loopback, spoofed loopback, outbound, replies) on a
    /// deny-by-default input chain, before and after `ct state established`
    /// is accepted; loopback and reply verdicts are confirmed by real
    /// connections (a spoofed source is not sent: the kernel would drop it as
    /// a martian before the ruleset).
    @Test func trafficControlsAgreeWithRealConnections() throws {
        try NetNamespace.with(tag: "trfsrv") { srv in
            try NetNamespace.with(tag: "trfcli") { cli in
                try Self.wire(srv, cli, ruleset: """
                    table inet cis {
                        chain input {
                            type filter hook input priority 0; policy drop;
                            iif "lo" accept
                            iif != "lo" ip saddr 127.0.0.0/8 counter drop
                            iif != "lo" ip6 saddr ::1 counter drop
                        }
                    }
                    """)
                // The outside address 203.0.113.10 is the client's: the server's route to it is ha0.
                let t = try TestProcesses("traffic")
                defer { t.stopAll() }
                let listener = """
                    import os, socket, sys, time
                    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    s.bind(("203.0.113.10", 443)); s.listen(16)
                    open(sys.argv[1], "w").write(str(os.getpid()))
                    time.sleep(600)
                    """
                try t.start("/usr/sbin/ip", ["netns", "exec", cli.name, "/usr/bin/python3", "-c", listener, t.dir + "/pid"])
                t.adopt(Int32(try t.waitForFile(t.dir + "/pid", timeout: 120))!)

                func traffic() throws -> [String: [String: Any]] {
                    let r = try HostAuditCLI.run(in: srv, ["facts", "exposure", "--format", "json"])
                    #expect(r.status == 0, "\(r.stderr)")
                    let e = try #require(try LiveScan.json(r)["exposure"] as? [String: Any])
                    return try #require(e["traffic"] as? [String: [String: Any]], "\(e)")
                }
                func met(_ t: [String: [String: Any]], _ key: String) -> Bool? { t[key]?["met"] as? Bool }
                // Real connections from the server: on lo, and out to the client's 203.0.113.10:443.
                let probe = """
                    import socket, threading
                    l = socket.socket(); l.bind(("127.0.0.1", 50000)); l.listen(4)
                    def one(addr):
                        s = socket.socket(); s.settimeout(4)
                        try:
                            s.connect(addr); return "ok"
                        except Exception:
                            return "fail"
                        finally:
                            s.close()
                    print("lo", one(("127.0.0.1", 50000))); print("out", one(("203.0.113.10", 443)))
                    """
                func connects() throws -> [String: Bool] {
                    let r = try srv.check(["python3", "-c", probe], timeout: 60)
                    var out: [String: Bool] = [:]
                    for line in r.stdout.split(separator: "\n") {
                        let f = line.split(separator: " ")
                        if f.count == 2 { out[String(f[0])] = f[1] == "ok" }
                    }
                    return out
                }

                // Policy drop without an established rule: the SYN-ACK of every outbound connection is dropped.
                var tr = try traffic()
                #expect(met(tr, "loopback_accepted") == true, "\(tr)")
                #expect(met(tr, "loopback_spoof_dropped") == true, "\(tr)")
                #expect(met(tr, "outbound_accepted") == true, "\(tr)")
                #expect(met(tr, "replies_accepted") == false, "\(tr)")
                let spoof = tr["loopback_spoof_dropped"]?["cases"] as? [[String: Any]] ?? []
                #expect(spoof.contains { $0["interface"] as? String == "ha0" && $0["verdict"] as? String == "drop" }, "\(spoof)")
                let reply = (tr["replies_accepted"]?["cases"] as? [[String: Any]])?.first
                #expect((reply?["decided_by"] as? [String: Any])?["rule"] as? String == "policy drop", "\(reply ?? [:])")
                var real = try connects()
                #expect(real["lo"] == true && real["out"] == false, "\(real)")

                try srv.check(["nft", "insert", "rule", "inet", "cis", "input", "ct", "state", "established,related", "accept"])
                tr = try traffic()
                #expect(met(tr, "replies_accepted") == true, "\(tr)")
                #expect(met(tr, "loopback_accepted") == true, "\(tr)")
                real = try connects()
                #expect(real["lo"] == true && real["out"] == true, "\(real)")

                // Loopback no longer accepted: the lo rule deleted.
                try srv.check(["nft", "flush", "chain", "inet", "cis", "input"])
                tr = try traffic()
                #expect(met(tr, "loopback_accepted") == false, "\(tr)")
                real = try connects()
                #expect(real["lo"] == false, "\(real)")
            }
        }
    }

    /// A veth pair; the client holds the three source addresses, the server routes them back.
    static func wire(_ srv: NetNamespace, _ cli: NetNamespace, ruleset custom: String? = nil) throws {
        try srv.check(["ip", "link", "add", "ha0", "type", "veth", "peer", "name", "ha1", "netns", cli.name])
        try srv.check(["ip", "addr", "add", server + "/24", "dev", "ha0"])
        try srv.check(["ip", "link", "set", "ha0", "up"])
        try cli.check(["ip", "addr", "add", "192.168.77.2/24", "dev", "ha1"])
        for s in sources { try cli.check(["ip", "addr", "add", s + "/32", "dev", "ha1"]) }
        try cli.check(["ip", "link", "set", "ha1", "up"])
        for s in sources { try srv.check(["ip", "route", "add", s + "/32", "dev", "ha0"]) }
        let ruleset = """
            table inet lab {
                set allowed { type ipv4_addr; elements = { 172.16.5.5 } }
                chain input {
                    type filter hook input priority 0; policy accept;
                    tcp dport 22 ip saddr 10.0.0.0/8 accept
                    tcp dport 22 drop
                    tcp dport 8443 ip saddr @allowed accept
                    tcp dport 8443 drop
                }
            }
            """
        if let custom {
            try srv.check(["nft", "-f", "-"], stdin: custom)
            return
        }
        try srv.check(["nft", "-f", "-"], stdin: ruleset)
        try srv.check(["iptables-legacy", "-A", "INPUT", "-p", "tcp", "--dport", "9200", "-j", "DROP"])
    }

    /// "SRC PORT" → whether a TCP connect from SRC to the server completed (a
    /// dropped SYN ends at the hang guard, a refused one at once).
    static func connectAll(_ cli: NetNamespace, ports: [Int]) throws -> [String: Bool] {
        let script = """
            import socket, sys, threading
            srcs = sys.argv[1].split(","); ports = [int(p) for p in sys.argv[2].split(",")]
            out = {}
            def one(src, port):
                s = socket.socket(); s.settimeout(8)
                try:
                    s.bind((src, 0)); s.connect(("\(server)", port)); out[(src, port)] = "ok"
                except Exception as e:
                    out[(src, port)] = "fail"
                finally:
                    s.close()
            ts = [threading.Thread(target=one, args=(s, p)) for s in srcs for p in ports]
            [t.start() for t in ts]; [t.join() for t in ts]
            for (s, p), v in sorted(out.items()): print(s, p, v)
            """
        let r = try cli.check(
            ["python3", "-c", script, sources.joined(separator: ","), ports.map(String.init).joined(separator: ",")], timeout: 120)
        var out: [String: Bool] = [:]
        for line in r.stdout.split(separator: "\n") {
            let f = line.split(separator: " ")
            guard f.count == 3 else { continue }
            out["\(f[0]) \(f[1])"] = f[2] == "ok"
        }
        return out
    }

    /// Whether `a` is inside a source as the facts print it (`a`, `a/len`, `lo-hi`).
    static func contains(_ source: String, _ a: IPAddress) -> Bool {
        if let slash = source.firstIndex(of: "/"), let p = IPAddress(String(source[..<slash])),
            let len = Int(source[source.index(after: slash)...])
        {
            return a.isIn(p, length: len)
        }
        if let dash = source.firstIndex(of: "-"), let lo = IPAddress(String(source[..<dash])),
            let hi = IPAddress(String(source[source.index(after: dash)...]))
        {
            return !a.bytes.lexicographicallyPrecedes(lo.bytes) && !hi.bytes.lexicographicallyPrecedes(a.bytes)
        }
        return IPAddress(source) == a
    }
}
