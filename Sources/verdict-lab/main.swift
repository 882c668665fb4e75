// verdict-lab: the differential test's worker, run inside a test namespace.
//
//   verdict-lab --ports 8001,8002 [--wait-ms 50] < flows
//
// Listens on the given TCP and UDP ports (IPv4 and IPv6), then for each input
// line `tcp|udp ADDR PORT` traces one real first packet through the kernel
// (FlowTracer), evaluates the same flow statically (same source port, uid 0,
// mark 0), checks whether the packet reached its listener, and prints one
// tab-separated line:
//   proto dst dport sport  static-verdict static-rule  trace-verdict trace-rule  probe  notes
//   reply-verdict reply-rule
// A rule is `family table chain handle` (`-` for none, `policy` for a chain policy;
// `legacy` is prefixed for x_tables rules). The reply columns are the static
// verdict of the SYN-ACK coming back (prerouting, input) for TCP, `-` for UDP.
#if canImport(Glibc)
import Glibc
#endif
import CSocket
import HostAuditCore
import HostAuditLinux

func fail(_ s: String) -> Never {
    let line = "verdict-lab: " + s + "\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
    exit(2)
}

var ports: [UInt16] = []
var waitMs = 50
var args = CommandLine.arguments.dropFirst()
while let a = args.popFirst() {
    switch a {
    case "--ports": ports = (args.popFirst() ?? "").split(separator: ",").compactMap { UInt16($0) }
    case "--wait-ms": waitMs = Int(args.popFirst() ?? "") ?? waitMs
    default: fail("unknown argument \(a)")
    }
}

/// Listening sockets: TCP (accepting and closing) and UDP (counting datagrams).
struct Listener {
    var tcp: [UInt16: [Int32]] = [:]
    var udp: [UInt16: [Int32]] = [:]

    static func open(_ type: Int32, _ v6: Bool, _ port: UInt16) -> Int32 {
        let fd = socket(v6 ? AF_INET6 : AF_INET, type | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { fail("socket: \(errno)") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, 4)
        if v6 { setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, 4) }
        var b = [UInt8](repeating: 0, count: 28)
        withUnsafeBytes(of: UInt16(v6 ? AF_INET6 : AF_INET)) { b[0] = $0[0]; b[1] = $0[1] }
        b[2] = UInt8(port >> 8)
        b[3] = UInt8(port & 0xff)
        let len = socklen_t(v6 ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size)
        let r = b.withUnsafeBytes { bind(fd, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), len) }
        guard r == 0 else { fail("bind \(port): \(errno)") }
        if type == Int32(SOCK_STREAM.rawValue) { listen(fd, 512) }
        return fd
    }

    init(ports: [UInt16]) {
        for p in ports {
            tcp[p] = [Self.open(Int32(SOCK_STREAM.rawValue), false, p), Self.open(Int32(SOCK_STREAM.rawValue), true, p)]
            udp[p] = [Self.open(Int32(SOCK_DGRAM.rawValue), false, p), Self.open(Int32(SOCK_DGRAM.rawValue), true, p)]
        }
    }

    func drainTCP() {
        for fds in tcp.values {
            for fd in fds {
                while true {
                    let c = accept(fd, nil, nil)
                    if c < 0 { break }
                    close(c)
                }
            }
        }
    }

    /// Waits up to `ms` for a datagram on the port's sockets and consumes everything queued.
    func receivedUDP(port: UInt16, ms: Int) -> Bool {
        guard let fds = udp[port] else { return false }
        var pfds = fds.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        _ = poll(&pfds, nfds_t(pfds.count), Int32(ms))
        var got = false
        var buf = [UInt8](repeating: 0, count: 2048)
        for fd in fds {
            while recv(fd, &buf, buf.count, Int32(MSG_DONTWAIT)) >= 0 { got = true }
        }
        return got
    }
}

let listener = Listener(ports: ports)
let snapshot: RulesetSnapshot
do { snapshot = try NetfilterReader().snapshot() } catch { fail("snapshot: \(error)") }
let evaluator = VerdictEvaluator(snapshot: snapshot)
let local = LocalAddresses.read()
let tracer = FlowTracer(windowMs: 300, idleMs: 15, connectWaitMs: waitMs)

func ruleText(_ l: RuleLocation?) -> String {
    guard let l else { return "-" }
    return "\(l.isLegacy ? "legacy " : "")\(l.family.name) \(l.table) \(l.chain) \(l.handle.map(String.init) ?? "policy")"
}

while let line = readLine() {
    let f = line.split(separator: " ")
    guard f.count == 3, let proto = FlowProtocol(rawValue: String(f[0])), let dst = IPAddress(String(f[1])),
        let dport = UInt16(f[2])
    else { fail("bad flow line: \(line)") }
    var flow = VerdictFlow(destination: dst, destinationPort: dport, proto: proto, uid: 0, gid: 0, mark: 0)
    let route = RouteLookup().lookup(flow)
    flow.source = route.source
    flow.outputInterface = route.outputInterface
    flow.outputInterfaceIndex = route.outputInterfaceIndex
    let report: TraceReport
    do { report = try tracer.trace(flow, snapshot: snapshot) } catch { fail("trace: \(error)") }
    flow.sourcePort = report.sourcePort
    let result = evaluator.evaluate(flow, local: local)
    let reply = proto == .tcp ? evaluator.evaluateReply(flow, kind: .synAck, local: local) : nil
    var probe: String
    switch report.probe {
    case .connected: probe = "connected"
    case .failed(let e): probe = "failed:\(e.rawValue)"
    case .pending: probe = "pending"
    case .sent: probe = listener.receivedUDP(port: dport, ms: waitMs) ? "received" : "lost"
    case .sendFailed(let e): probe = listener.receivedUDP(port: dport, ms: 0) ? "received" : "sendfailed:\(e.rawValue)"
    }
    listener.drainTCP()
    let notes = result.notes.joined(separator: " | ")
    print(
        [
            proto.rawValue, dst.description, String(dport), String(report.sourcePort),
            result.verdict.rawValue, ruleText(result.decidedBy),
            report.result.verdict.rawValue, ruleText(report.result.decidedBy), probe, notes,
            reply?.verdict.rawValue ?? "-", reply.map { ruleText($0.decidedBy) } ?? "-",
        ].joined(separator: "\t"))
}
