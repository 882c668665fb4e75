import Foundation
import HostAuditTestSupport
import Testing

/// A reusable scenario harness on top of `EgressLab` (client → router →
/// server namespaces): build a truth (router rules, client rules and routes,
/// DNS servers, resolver files), prove it with a plain `connect()` or
/// `getent` inside the client namespace, run `hostaudit egress`, and grade
/// the answer as right, unknown or wrong.
///
/// One lab serves many scenarios: each scenario adds what it needs and
/// `reset()` removes it (router table `inet scenario`, client rulesets and
/// legacy tables, added routes and rules, DNS servers, resolver files).
/// `ScenarioLab.with { s in … }` always deletes the namespaces and the
/// `/etc/netns/<client>` folder, also when the body throws.
final class ScenarioLab: @unchecked Sendable {
    let lab: EgressLab
    var client: NetNamespace { lab.client }
    var router: NetNamespace { lab.router }
    var server: NetNamespace { lab.server }
    private var undo: [[String]] = []
    private var serverProcesses: [Process] = []
    private let workDir: String
    private var netnsEtc: String { "/etc/netns/\(client.name)" }

    /// A server address that does not answer ICMP echo (the router drops echo to it).
    static let noPingV4 = "10.66.2.3", noPingV6 = "fd66:2::3"
    /// Name server addresses on the server namespace, one per behaviour.
    static let dnsClosedV4 = "10.66.2.60", dnsServfailV4 = "10.66.2.61", dnsRefusedV4 = "10.66.2.62"
    static let dnsGoodV4 = "10.66.2.63", dnsTCPOnlyV4 = "10.66.2.64"
    /// A name server that answers NXDOMAIN to every name.
    static let dnsNXV4 = "10.66.2.65"

    private init(lab: EgressLab, workDir: String) {
        self.lab = lab
        self.workDir = workDir
    }

    static func with(_ body: (ScenarioLab) throws -> Void) throws {
        let lab = try EgressLab.create()
        let dir: String
        do { dir = try Fixtures.temporaryDirectory("ha-scenario") } catch {
            lab.shutdown()
            throw error
        }
        let s = ScenarioLab(lab: lab, workDir: dir)
        defer { s.shutdown() }
        try s.build()
        try body(s)
    }

    private func build() throws {
        for a in [Self.noPingV4 + "/32", Self.noPingV6 + "/128", Self.dnsClosedV4 + "/32", Self.dnsServfailV4 + "/32",
                  Self.dnsRefusedV4 + "/32", Self.dnsGoodV4 + "/32", Self.dnsTCPOnlyV4 + "/32", Self.dnsNXV4 + "/32"] {
            try server.check(["ip", "addr", "add", a, "dev", "s0"] + (a.contains(":") ? ["nodad"] : []))
        }
        // Every ICMP error the router sends must arrive: no rate limit in the lab.
        try router.check(["sysctl", "-qw", "net.ipv4.icmp_ratelimit=0", "net.ipv6.icmp.ratelimit=0"])
        try router.check(
            ["nft", "-f", "-"],
            stdin: """
                table inet noping {
                  chain forward {
                    type filter hook forward priority -20; policy accept;
                    ip daddr 10.66.2.3 icmp type echo-request drop
                    ip6 daddr fd66:2::3 icmpv6 type echo-request drop
                  }
                }
                """)
        try lab.listen([443, 8443, 7200], addresses: [EgressLab.serverV4, EgressLab.serverV6, Self.noPingV4, Self.noPingV6])
        try startDNS()
    }

    /// Undoes everything scenarios added; the lab stays up.
    func reset() {
        for cmd in undo.reversed() { _ = try? CommandRunner.run(cmd, timeout: 30) }
        undo.removeAll()
        _ = try? router.run(["nft", "delete", "table", "inet", "scenario"])
        _ = try? client.run(["nft", "flush", "ruleset"])
        for tool in ["iptables-legacy", "ip6tables-legacy"] {
            _ = try? client.run([tool, "-F"])
            _ = try? client.run([tool, "-P", "OUTPUT", "ACCEPT"])
        }
        try? FileManager.default.removeItem(atPath: netnsEtc)
    }

    func shutdown() {
        reset()
        for p in serverProcesses where p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
        }
        serverProcesses.removeAll()
        lab.shutdown()
        try? FileManager.default.removeItem(atPath: workDir)
    }

    // MARK: - Building a truth

    /// Rules in the router's `inet scenario` table, forward hook (the provider).
    func routerForward(_ rules: [String]) throws {
        _ = try? router.run(["nft", "delete", "table", "inet", "scenario"])
        try router.check(
            ["nft", "-f", "-"],
            stdin: "table inet scenario {\n chain forward {\n  type filter hook forward priority -10; policy accept;\n"
                + rules.map { "  \($0)\n" }.joined() + " }\n}\n")
    }

    /// A command in the client namespace, with the command that undoes it.
    func clientDo(_ cmd: [String], undo reverse: [String]? = nil) throws {
        try client.check(cmd)
        if let reverse { undo.append(["ip", "netns", "exec", client.name] + reverse) }
    }

    /// `ip route add SPEC` in the client namespace (removed by `reset`).
    func clientRoute(_ spec: [String], v6: Bool = false) throws {
        let fam = v6 ? ["-6"] : []
        try clientDo(["ip"] + fam + ["route", "add"] + spec, undo: ["ip"] + fam + ["route", "del"] + spec)
    }

    /// `ip rule add SPEC` in the client namespace (removed by `reset`).
    func clientRule(_ spec: [String], v6: Bool = false) throws {
        let fam = v6 ? ["-6"] : []
        try clientDo(["ip"] + fam + ["rule", "add"] + spec, undo: ["ip"] + fam + ["rule", "del"] + spec)
    }

    /// Resolver files as the client namespace's programs see them (through
    /// `ip netns exec`'s `/etc/netns/NAME` bind mounts) and as a `--root`
    /// directory holding the same files (returned). `extra` maps more
    /// paths below the root (e.g. systemd-resolved's upstream file).
    @discardableResult
    func resolverFiles(resolvConf: String, hosts: String = "127.0.0.1 localhost\n", nsswitch: String = "hosts: files dns\n", extra: [String: String] = [:]) throws -> String {
        try FileManager.default.createDirectory(atPath: netnsEtc, withIntermediateDirectories: true)
        try resolvConf.write(toFile: netnsEtc + "/resolv.conf", atomically: true, encoding: .utf8)
        try hosts.write(toFile: netnsEtc + "/hosts", atomically: true, encoding: .utf8)
        try nsswitch.write(toFile: netnsEtc + "/nsswitch.conf", atomically: true, encoding: .utf8)
        let root = workDir + "/root-\(UUID().uuidString.prefix(8))"
        try Fixtures.write(resolvConf, to: "/etc/resolv.conf", under: root)
        try Fixtures.write(hosts, to: "/etc/hosts", under: root)
        try Fixtures.write(nsswitch, to: "/etc/nsswitch.conf", under: root)
        for (path, text) in extra { try Fixtures.write(text, to: path, under: root) }
        return root
    }

    /// Name servers on the server namespace: a good one (UDP and TCP), one
    /// answering SERVFAIL, one REFUSED, one only over TCP; nothing listens on
    /// `dnsClosedV4`. Records: `mirror.lab.example`, `good.example`,
    /// `mirror6.lab.example` (IPv6 only).
    private func startDNS() throws {
        let ready = workDir + "/dns.ready"
        let records = #"{"mirror.lab.example": ["10.66.2.2", "fd66:2::2"], "good.example": ["10.66.2.2"], "mirror6.lab.example": ["fd66:2::2"]}"#
        let spec = "\(Self.dnsGoodV4)|answer|both,\(Self.dnsServfailV4)|servfail|both,\(Self.dnsRefusedV4)|refused|both,\(Self.dnsTCPOnlyV4)|answer|tcp,\(Self.dnsNXV4)|nxdomain|both"
        serverProcesses.append(try server.startPython(Self.dnsServer, arguments: [ready, spec, records], ready: ready))
    }

    // MARK: - Proving the truth

    /// What a plain non-blocking connect() saw in the client namespace:
    /// `open`, `refused`, `timeout`, or an errno name (`EACCES`, `EHOSTUNREACH`, …).
    func connectTruth(_ address: String, _ port: Int, timeout: Double = 1.5) throws -> String {
        let script = """
            import errno, socket, sys
            a, p, t = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
            s = socket.socket(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM)
            s.settimeout(t)
            try:
                s.connect((a, p)); print("open")
            except ConnectionRefusedError:
                print("refused")
            except socket.timeout:
                print("timeout")
            except OSError as e:
                print(errno.errorcode.get(e.errno, str(e.errno)))
            """
        let r = try client.run(["/usr/bin/python3", "-c", script, address, String(port), String(timeout)])
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `getent ahosts NAME` in the client namespace: the addresses glibc
    /// resolves with the resolver files set by `resolverFiles` (empty when it
    /// fails). With `hostName`, getent runs in a UTS namespace of its own
    /// (`unshare --uts`) whose host name is set to it: the machine's own
    /// host name is never changed.
    func getentTruth(_ name: String, hostName: String? = nil) throws -> [String] {
        let cmd =
            hostName.map { ["unshare", "--uts", "sh", "-c", "hostname \"$1\" && exec getent ahosts \"$2\"", "sh", $0, name] }
            ?? ["getent", "ahosts", name]
        let r = try client.run(cmd, timeout: 60)
        guard r.status == 0 else { return [] }
        var out: [String] = []
        for line in r.stdout.split(separator: "\n") {
            if let a = line.split(separator: " ").first.map(String.init), !out.contains(a) { out.append(a) }
        }
        return out
    }

    // MARK: - Asking hostaudit

    struct Probe {
        var raw: [String: Any]
        var cause: String { raw["cause"] as? String ?? "?" }
        var confidence: String { raw["confidence"] as? String ?? "?" }
        var explanation: String { raw["explanation"] as? String ?? "" }
        var candidates: [String] { (raw["candidates"] as? [[String: Any]] ?? []).compactMap { $0["cause"] as? String } }
        var address: String? { raw["address"] as? String }
        var port: Int? { raw["port"] as? Int }
        var offender: String? { (raw["icmp_error"] as? [String: Any])?["offender"] as? String }
        var route: String? { (raw["route"] as? [String: Any])?["route"] as? String }
        var routeRule: String? { (raw["route"] as? [String: Any])?["rule"] as? String }
    }

    struct Run {
        var status: Int32
        var output: String
        var probes: [Probe]
        var dns: [[String: Any]]
        func probe(_ address: String, _ port: Int) -> Probe? { probes.first { $0.address == address && $0.port == port } }
    }

    /// `hostaudit egress ARGS --format json` in the client namespace.
    /// With `hostName`, hostaudit runs live (no `--root` needed) in a UTS
    /// namespace of its own whose host name is set to it, as getentTruth does.
    func egress(_ args: [String], timeout: Double = 1.5, hostName: String? = nil) throws -> Run {
        let full = ["egress"] + args + ["--timeout", String(timeout), "--format", "json"]
        let r: CommandResult
        if let hostName {
            r = try client.run(
                ["unshare", "--uts", "sh", "-c", "hostname \"$1\" && shift && exec env NO_COLOR=1 \"$@\"", "sh", hostName, HostAuditCLI.binaryPath]
                    + full, timeout: 120)
        } else {
            r = try lab.hostaudit(full)
        }
        let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let doc = try #require(obj, "\(r)")
        let probes = (doc["probes"] as? [[String: Any]] ?? []).map { Probe(raw: $0) }
        return Run(status: r.status, output: r.stdout, probes: probes, dns: doc["dns"] as? [[String: Any]] ?? [])
    }

    static let dnsServer = #"""
        import json, socket, struct, sys, threading
        ready, spec, records = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
        def answer(q, mode):
            tid, flags = struct.unpack("!HH", q[:4])
            i, labels = 12, []
            while q[i] != 0:
                labels.append(q[i + 1:i + 1 + q[i]].decode().lower()); i += q[i] + 1
            qtype = struct.unpack("!H", q[i + 1:i + 3])[0]
            question = q[12:i + 5]
            name = ".".join(labels)
            body, count, rcode = b"", 0, 0
            if mode == "servfail": rcode = 2
            elif mode == "refused": rcode = 5
            elif mode == "nxdomain": rcode = 3
            elif name not in records: rcode = 3
            else:
                for a in records[name]:
                    if qtype == 1 and ":" not in a:
                        body += b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + socket.inet_pton(socket.AF_INET, a); count += 1
                    elif qtype == 28 and ":" in a:
                        body += b"\xc0\x0c" + struct.pack("!HHIH", 28, 1, 60, 16) + socket.inet_pton(socket.AF_INET6, a); count += 1
            return struct.pack("!HHHHHH", tid, 0x8180 | rcode, 1, count, 0, 0) + question + body
        def udp(addr, mode):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((addr, 53))
            def loop():
                while True:
                    q, peer = s.recvfrom(4096)
                    try: s.sendto(answer(q, mode), peer)
                    except Exception: pass
            threading.Thread(target=loop, daemon=True).start()
        def tcp(addr, mode):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((addr, 53)); s.listen(64)
            def serve(c):
                try:
                    while True:
                        h = c.recv(2)
                        if len(h) < 2: break
                        n = struct.unpack("!H", h)[0]; q = b""
                        while len(q) < n:
                            part = c.recv(n - len(q))
                            if not part: return
                            q += part
                        a = answer(q, mode); c.sendall(struct.pack("!H", len(a)) + a)
                except Exception: pass
                finally: c.close()
            def loop():
                while True:
                    c, _ = s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()
            threading.Thread(target=loop, daemon=True).start()
        for item in spec.split(","):
            addr, mode, transport = item.split("|")
            if transport in ("both", "udp"): udp(addr, mode)
            if transport in ("both", "tcp"): tcp(addr, mode)
        open(ready, "w").close()
        threading.Event().wait()
        """#
}

struct ScenarioError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// How a scenario came out: the tool named the built truth (proven or
/// likely), honestly said it cannot know (unknown, or likely with the truth
/// among its candidates), or was wrong.
enum ScenarioOutcome: String, Sendable {
    case right, unknown, wrong
}

/// What a scenario expects of the tool.
enum ScenarioExpectation: Sendable {
    /// The truth is `cause`; it must be stated with one of `confidence`.
    case cause(String, confidence: Set<String> = ["proven", "likely"])
    /// The tool cannot know: the cause must not be `cause` with `proven`
    /// (either it says unknown, or a later layer proves the truth).
    case notConfidently(String, truth: String)
}

/// Counts outcomes across every scenario of the test process and prints totals.
final class ScenarioTally: @unchecked Sendable {
    static let shared = ScenarioTally()
    private let lock = NSLock()
    private var counts: [ScenarioOutcome: Int] = [:]
    private(set) var lines: [String] = []

    /// Grades `probe` against `expectation`, records the outcome and fails the
    /// test on a wrong one. Returns the outcome.
    @discardableResult
    func grade(
        _ name: String, _ probe: ScenarioLab.Probe?, _ expectation: ScenarioExpectation,
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> ScenarioOutcome {
        let outcome: ScenarioOutcome
        guard let p = probe else {
            Issue.record("\(name): no probe in the output", sourceLocation: sourceLocation)
            return record(name, .wrong, "no probe")
        }
        switch expectation {
        case .cause(let truth, let confidence):
            if p.cause == truth && confidence.contains(p.confidence) {
                outcome = .right
            } else if p.confidence == "unknown" || (p.confidence == "likely" && p.candidates.contains(truth)) {
                outcome = .unknown
            } else {
                outcome = .wrong
            }
            #expect(outcome == .right, "\(name): expected \(truth) (\(confidence.sorted())), got \(p.cause) (\(p.confidence)): \(p.explanation)", sourceLocation: sourceLocation)
        case .notConfidently(let cause, let truth):
            let confidentlyWrong = p.cause == cause && p.confidence == "proven"
            if p.cause == truth && p.confidence != "unknown" {
                outcome = .right
            } else if confidentlyWrong || (p.cause != truth && p.confidence == "proven") {
                outcome = .wrong
            } else {
                outcome = .unknown
            }
            #expect(!confidentlyWrong && outcome != .wrong, "\(name): confidently \(p.cause) (\(p.confidence)): \(p.explanation)", sourceLocation: sourceLocation)
        }
        return record(name, outcome, "\(p.cause) (\(p.confidence))" + (outcome == .right ? "" : ": \(p.explanation)"))
    }

    /// Records a DNS or other scenario graded by the caller.
    @discardableResult
    func record(_ name: String, _ outcome: ScenarioOutcome, _ detail: String) -> ScenarioOutcome {
        lock.lock()
        counts[outcome, default: 0] += 1
        lines.append("\(outcome.rawValue): \(name): \(detail)")
        let totals = "right \(counts[.right] ?? 0) / unknown \(counts[.unknown] ?? 0) / wrong \(counts[.wrong] ?? 0)"
        lock.unlock()
        print("scenario \(outcome.rawValue): \(name): \(detail)  [totals so far: \(totals)]")
        return outcome
    }
}
