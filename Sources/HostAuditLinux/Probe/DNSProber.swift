#if canImport(Glibc)
import Glibc
#endif
import CResolv
import CSocket
import Foundation
import HostAuditCore
import SystemPackage
import Synchronization

/// How glibc would resolve on this host: its servers in order, the search
/// list, `ndots`, `use-vc`, the hosts file and nsswitch's order.
struct GlibcResolverConfig: Sendable {
    var servers: [String]
    var search: [String]
    var ndots: Int
    var useTCP: Bool
    var hostsFile: [String: [String]]
    var order: [String]
    var dnsNotFoundReturns: Bool
    /// Said beside every resolution (e.g. the stub's upstream servers).
    var note: String?
    /// resolv.conf's `options timeout`, `attempts`, `rotate` and `use-vc`:
    /// the plan res_send follows over the servers.
    var policy = GlibcLookup.QueryPolicy()
    /// The search list came from the host name's domain (resolv.conf has
    /// neither `search` nor `domain`).
    var searchFromHostName = false

    init(
        servers: [String], search: [String] = [], ndots: Int = 1, useTCP: Bool = false, hostsFile: [String: [String]] = [:],
        order: [String] = ["files", "dns"], dnsNotFoundReturns: Bool = false, note: String? = nil
    ) {
        self.servers = servers
        self.search = search
        self.ndots = ndots
        self.useTCP = useTCP
        self.hostsFile = hostsFile
        self.order = order
        self.dnsNotFoundReturns = dnsNotFoundReturns
        self.note = note
    }
}

/// Asks each configured name server separately, the way `getaddrinfo` never
/// tells: answered, NXDOMAIN, SERVFAIL, refused, unreachable, or silent.
///
/// Queries go over connected UDP sockets with `IP_RECVERR` (so "nothing on
/// port 53", "no route" and a local EPERM are told apart from silence), one
/// resend at half the time-out, and TCP when an answer comes back truncated.
/// Answers are parsed with libresolv's `ns_initparse`/`ns_parserr`. Every
/// query of every name and server runs concurrently in one poll(2) loop.
struct DNSProber: Sendable {
    var timeout: Double

    init(timeout: Double) { self.timeout = timeout }

    /// Resolves each name (A and AAAA) through each server; hosts-file
    /// addresses are passed through into the result.
    func resolve(names: [String], servers: [String], hostsFile: [String: [String]] = [:]) -> [NameResolution] {
        var queries: [QuerySpec] = []
        for (n, name) in names.enumerated() {
            for (s, server) in servers.enumerated() {
                queries.append(QuerySpec(name: name, nameIndex: n, server: server, serverIndex: s, type: .a))
                queries.append(QuerySpec(name: name, nameIndex: n, server: server, serverIndex: s, type: .aaaa))
            }
        }
        let results = run(queries)
        return names.enumerated().map { n, name in
            let perServer = servers.enumerated().map { s, server in
                DNSServerResult(
                    server: server,
                    queries: zip(queries, results).filter { $0.0.nameIndex == n && $0.0.serverIndex == s }.map(\.1))
            }
            return NameResolution(
                name: name, hostsFileAddresses: hostsFile[name] ?? [], servers: perServer,
                note: servers.isEmpty ? "no name server is configured" : nil)
        }
    }

    /// Resolves each name as glibc would (`getaddrinfo` with AF_UNSPEC: A and
    /// AAAA): every search-list candidate asked of every server at once, then
    /// glibc's decisions applied to the answers (see `GlibcLookup`), so no
    /// query waits for another. With `use-vc`, every query goes over TCP.
    func resolveLikeGlibc(names: [String], config: GlibcResolverConfig) -> [NameResolution] {
        var specs: [QuerySpec] = []
        // Each name's candidates, with the index of each in allCandidates (asked once).
        var plan: [(name: String, candidates: [(name: String, index: Int)])] = []
        var candidateIndex: [String: Int] = [:]
        var allCandidates: [String] = []
        for name in names {
            let cands = GlibcLookup.candidates(name: name, search: config.search, ndots: config.ndots)
            plan.append((name, cands.map { c in
                if let i = candidateIndex[c] { return (c, i) }
                candidateIndex[c] = allCandidates.count
                allCandidates.append(c)
                return (c, allCandidates.count - 1)
            }))
        }
        for (n, c) in allCandidates.enumerated() {
            for (s, server) in config.servers.enumerated() {
                specs.append(QuerySpec(name: c, nameIndex: n, server: server, serverIndex: s, type: .a))
                specs.append(QuerySpec(name: c, nameIndex: n, server: server, serverIndex: s, type: .aaaa))
            }
        }
        // attempts:0: glibc sends nothing, so neither does the prober.
        let silentByConfig = config.policy.attempts <= 0
        let results =
            silentByConfig ? [] : config.useTCP ? runTCP(specs) : run(specs, sends: min(max(config.policy.attempts, 1), 5))
        func servers(_ n: Int) -> [DNSServerResult] {
            if silentByConfig { return [] }
            return config.servers.enumerated().map { s, server in
                DNSServerResult(
                    server: server,
                    queries: zip(specs, results).filter { $0.0.nameIndex == n && $0.0.serverIndex == s }.map(\.1))
            }
        }
        return plan.map { name, cands in
            let lookups = cands.map { CandidateLookup(name: $0.name, servers: servers($0.index), policy: config.policy) }
            var notes: [String] = []
            if config.servers.isEmpty { notes.append("no name server is configured") }
            if let n = config.note { notes.append(n) }
            if config.searchFromHostName, let d = config.search.first {
                notes.append("resolv.conf has no search or domain line: glibc searches the host name's domain \(d)")
            }
            let shown = lookups.first { $0.outcome == .found } ?? lookups.first { $0.name == name } ?? lookups.first
            notes += GlibcLookup.planNotes(shown: shown, policy: config.policy, serverCount: config.servers.count)
            return NameResolution(
                name: name, hostsFileAddresses: config.hostsFile[name] ?? [], servers: shown?.servers ?? [],
                note: notes.isEmpty ? nil : notes.joined(separator: "; "), lookups: lookups, order: config.order,
                dnsNotFoundReturns: config.dnsNotFoundReturns)
        }
    }

    /// Every query over TCP (`options use-vc`), each on its own thread so
    /// all share one deadline.
    func runTCP(_ specs: [QuerySpec]) -> [DNSQueryResult] {
        /// The threads' results, each written once under the mutex.
        final class Slots: Sendable {
            let results: Mutex<[DNSQueryResult?]>
            init(_ n: Int) { results = Mutex(Array(repeating: nil, count: n)) }
        }
        let slots = Slots(specs.count)
        var threads: [Thread] = []
        let group = DispatchGroup()
        for (i, spec) in specs.enumerated() {
            let start = Clock.nowMs()
            guard let sa = SocketAddress(spec.server, port: 53),
                let packet = Self.query(id: UInt16(truncatingIfNeeded: i &* 7919 &+ 1), name: spec.name, type: spec.qtype)
            else {
                slots.results.withLock { $0[i] = DNSQueryResult(type: spec.type.rawValue, status: .error, elapsedMs: 0, transport: "tcp", detail: "not a valid query") }
                continue
            }
            let r = Running(index: i, fd: -1, sa: sa, packet: packet, id: 0, startMs: start)
            group.enter()
            let prober = self
            let t = Thread {
                let result = prober.tcpQuery(r, spec: spec)
                slots.results.withLock { $0[i] = result }
                group.leave()
            }
            threads.append(t)
            t.start()
        }
        group.wait()
        return slots.results.withLock { $0 }.enumerated().map { i, r in
            r ?? DNSQueryResult(type: specs[i].type.rawValue, status: .error, elapsedMs: 0, transport: "tcp", detail: "not run")
        }
    }

    /// Whether each server answers at all: one `. NS` query each. Any answer,
    /// even REFUSED, shows the server is alive; `audit` reads these.
    func liveness(servers: [String]) -> [DNSServerResult] {
        let specs = servers.enumerated().map { QuerySpec(name: ".", nameIndex: 0, server: $1, serverIndex: $0, type: .ns) }
        return zip(servers, run(specs)).map { DNSServerResult(server: $0, queries: [$1]) }
    }

    struct QuerySpec {
        var name: String
        var nameIndex: Int
        var server: String
        var serverIndex: Int
        var type: RecordType
        /// The record types the prober asks for; `rawValue` is the name the report gives.
        enum RecordType: String {
            case a = "A", aaaa = "AAAA", ns = "NS"
        }
        var qtype: UInt16 {
            switch type {
            case .a: return UInt16(CResolv_t_a())
            case .aaaa: return UInt16(CResolv_t_aaaa())
            case .ns: return UInt16(CResolv_t_ns())
            }
        }
    }

    struct Running {
        var index: Int
        var fd: Int32
        var sa: SocketAddress
        var packet: [UInt8]
        var id: UInt16
        var startMs: Double
        /// Copies of the query sent so far.
        var sent = 1
    }

    /// Every UDP query at once; each is sent `sends` times, evenly spread
    /// over the time-out (glibc's `attempts`, compressed into one window).
    func run(_ specs: [QuerySpec], sends: Int = 2) -> [DNSQueryResult] {
        let sends = max(sends, 1)
        var results = [DNSQueryResult?](repeating: nil, count: specs.count)
        var running: [Running] = []
        let local = LocalAddresses.current()
        let timeoutMs = timeout * 1000
        var idSeed = UInt16(truncatingIfNeeded: getpid() &* 31 &+ Int32(Clock.nowMs().truncatingRemainder(dividingBy: 65536)))
        for (i, spec) in specs.enumerated() {
            let start = Clock.nowMs()
            idSeed = idSeed &* 25173 &+ 13849
            guard let sa = SocketAddress(spec.server, port: 53) else {
                results[i] = DNSQueryResult(type: spec.type.rawValue, status: .error, elapsedMs: 0, detail: "not an IP address")
                continue
            }
            guard let packet = Self.query(id: idSeed, name: spec.name, type: spec.qtype) else {
                results[i] = DNSQueryResult(type: spec.type.rawValue, status: .error, elapsedMs: 0, detail: "not a valid DNS name")
                continue
            }
            let fd: Int32
            switch sa.openProbeSocket(SOCK_DGRAM) {
            case .success(let opened): fd = opened
            case .failure(let err):
                results[i] = failure(spec, err, start: start)
                continue
            }
            if case .failure(let err) = sa.connect(fd) {
                results[i] = failure(spec, err, start: start)
                close(fd)
                continue
            }
            let r = Running(index: i, fd: fd, sa: sa, packet: packet, id: idSeed, startMs: start)
            if let err = send(r) {
                results[i] = failure(spec, err, start: start)
                close(fd)
                continue
            }
            running.append(r)
        }

        // The next resend or deadline; nil once nothing runs.
        while let next = running.map({ $0.startMs + timeoutMs * Double(min($0.sent, sends)) / Double(sends) }).min() {
            let now = Clock.nowMs()
            var fds = running.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
            let wait = Int32(max(0, next - now).rounded(.up))
            let n: Int32
            switch SocketIO.poll(&fds, timeoutMs: wait) {
            case .success(let ready): n = ready
            case .failure:
                // Interrupted (or failed): nothing is ready; the time-outs below still end every query.
                n = 0
            }
            var finished = Set<Int>()
            if n > 0 {
                for (k, p) in fds.enumerated() where p.revents != 0 {
                    let r = running[k]
                    if let result = receive(r, spec: specs[r.index], local: local) {
                        results[r.index] = result
                        finished.insert(k)
                    }
                }
            }
            let after = Clock.nowMs()
            for k in running.indices where !finished.contains(k) {
                let r = running[k]
                if after - r.startMs >= timeoutMs {
                    results[r.index] = DNSQueryResult(
                        type: specs[r.index].type.rawValue, status: .timeout, elapsedMs: after - r.startMs,
                        detail: "no answer to \(r.sent) UDP quer\(r.sent == 1 ? "y" : "ies")")
                    finished.insert(k)
                } else if r.sent < sends && after - r.startMs >= timeoutMs * Double(r.sent) / Double(sends) {
                    running[k].sent += 1
                    _ = send(r)
                }
            }
            for k in finished.sorted(by: >) {
                close(running[k].fd)
                running.remove(at: k)
            }
        }
        return results.enumerated().map { i, r in
            r ?? DNSQueryResult(type: specs[i].type.rawValue, status: .error, elapsedMs: 0, detail: "not run")
        }
    }

    /// Sends the query; returns errno on failure.
    private func send(_ r: Running) -> Errno? {
        if case .failure(let err) = SocketIO.send(r.fd, r.packet) { return err }
        return nil
    }

    /// Reads what arrived; nil means "not for us, keep waiting".
    private func receive(_ r: Running, spec: QuerySpec, local: Set<IPAddress>) -> DNSQueryResult? {
        let soErr = SockOpt.soError(r.fd)
        let icmp = drainErrorQueue(r.fd, local: local)
        let elapsed = Clock.nowMs() - r.startMs
        if soErr != 0 {
            var result = failure(spec, soErr, start: r.startMs)
            if let icmp {
                result.detail = "\(icmp.label) \(icmp.reason) from \(icmp.offender ?? "?")\(icmp.offenderIsLocal ? " (this host)" : "")"
            }
            return result
        }
        var buf = [UInt8](repeating: 0, count: 65535)
        while true {
            let n: Int
            switch SocketIO.receive(r.fd, into: &buf) {
            case .success(let got): n = got
            case .failure(let err) where err.rawValue == EAGAIN: return nil
            case .failure(let err): return failure(spec, err, start: r.startMs)
            }
            let msg = Array(buf[0..<n])
            guard msg.count >= 12, UInt16(msg[0]) << 8 | UInt16(msg[1]) == r.id, msg[2] & 0x80 != 0 else { continue }
            if msg[2] & 0x02 != 0 {
                // Truncated: ask again over TCP within what is left of the time-out.
                return tcpQuery(r, spec: spec)
            }
            return Self.interpret(msg, spec: spec, elapsedMs: elapsed, transport: "udp")
        }
    }

    func tcpQuery(_ r: Running, spec: QuerySpec) -> DNSQueryResult {
        let deadline = r.startMs + timeout * 1000
        let fd: Int32
        switch r.sa.openSocket(SOCK_STREAM) {
        case .success(let opened): fd = opened
        case .failure(let err): return failure(spec, err, start: r.startMs, transport: "tcp")
        }
        defer { close(fd) }
        /// Waits for `events` until the deadline; an interrupted poll waits again for what is left.
        func wait(_ events: Int32) -> Bool {
            while true {
                var p = [pollfd(fd: fd, events: Int16(events), revents: 0)]
                let ms = Int32(max(0, deadline - Clock.nowMs()).rounded(.up))
                switch SocketIO.poll(&p, timeoutMs: ms) {
                case .success(let n): return n > 0
                case .failure(let err) where err.rawValue == EINTR: continue
                case .failure: return false
                }
            }
        }
        if case .failure(let err) = r.sa.connect(fd), err.rawValue != EINPROGRESS {
            return failure(spec, err, start: r.startMs, transport: "tcp")
        }
        guard wait(Int32(POLLOUT)) else {
            return DNSQueryResult(type: spec.type.rawValue, status: .timeout, elapsedMs: Clock.nowMs() - r.startMs, transport: "tcp")
        }
        let err = SockOpt.soError(fd)
        if err != 0 { return failure(spec, err, start: r.startMs, transport: "tcp") }
        let framed = [UInt8(r.packet.count >> 8), UInt8(r.packet.count & 0xFF)] + r.packet
        switch SocketIO.send(fd, framed, flags: Int32(MSG_NOSIGNAL)) {
        case .success(let sent) where sent == framed.count: break
        case .success:
            // A short write of a 2-byte-framed query: the server sees a truncated one.
            return DNSQueryResult(
                type: spec.type.rawValue, status: .error, elapsedMs: Clock.nowMs() - r.startMs, transport: "tcp",
                detail: "the query was only partly sent over TCP")
        case .failure(let err): return failure(spec, err, start: r.startMs, transport: "tcp")
        }
        var data: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65537)
        while true {
            if data.count >= 2 {
                let want = Int(data[0]) << 8 | Int(data[1])
                if data.count >= want + 2 {
                    return Self.interpret(Array(data[2..<(want + 2)]), spec: spec, elapsedMs: Clock.nowMs() - r.startMs, transport: "tcp")
                }
            }
            guard wait(Int32(POLLIN)) else {
                return DNSQueryResult(type: spec.type.rawValue, status: .timeout, elapsedMs: Clock.nowMs() - r.startMs, transport: "tcp")
            }
            let n: Int
            switch SocketIO.receive(fd, into: &buf) {
            case .success(let got): n = got
            case .failure(let err) where err.rawValue == EAGAIN: continue
            case .failure(let err): return failure(spec, err, start: r.startMs, transport: "tcp")
            }
            if n == 0 {
                return DNSQueryResult(
                    type: spec.type.rawValue, status: .error, elapsedMs: Clock.nowMs() - r.startMs, transport: "tcp",
                    detail: "the server closed the TCP connection before answering")
            }
            data += buf[0..<n]
        }
    }

    private func failure(_ spec: QuerySpec, _ err: Errno, start: Double, transport: String = "udp") -> DNSQueryResult {
        failure(spec, err.rawValue, start: start, transport: transport)
    }

    private func failure(_ spec: QuerySpec, _ err: Int32, start: Double, transport: String = "udp") -> DNSQueryResult {
        let e = ErrnoName.error(err)
        let status: DNSStatus
        let detail: String
        switch err {
        case ECONNREFUSED:
            status = .unreachable
            detail = "nothing answers on port 53 (ICMP port unreachable, \(e.name))"
        case ENETUNREACH, EHOSTUNREACH, EHOSTDOWN:
            status = .unreachable
            detail = err == ENETUNREACH ? "no route to the server (\(e.name))" : "host unreachable (\(e.name))"
        case EPERM, EACCES:
            status = .localDenied
            detail = "this host refused to send the query (\(e.name)): a local firewall rule"
        default:
            status = .error
            detail = e.description
        }
        return DNSQueryResult(
            type: spec.type.rawValue, status: status, elapsedMs: Clock.nowMs() - start, transport: transport, detail: detail)
    }

    /// Reads an answer's rcode and addresses with libresolv.
    static func interpret(_ msg: [UInt8], spec: QuerySpec, elapsedMs: Double, transport: String) -> DNSQueryResult {
        var rcode: Int32 = 0
        var tc: Int32 = 0
        var ancount: Int32 = 0
        var addrs = [UInt8](repeating: 0, count: 16 * 64)
        let n = msg.withUnsafeBufferPointer { m in
            addrs.withUnsafeMutableBufferPointer { a in
                CResolv_parse_answer(m.baseAddress, Int32(m.count), Int32(spec.qtype), a.baseAddress, 64, &rcode, &tc, &ancount)
            }
        }
        guard n >= 0 else {
            return DNSQueryResult(
                type: spec.type.rawValue, status: .error, elapsedMs: elapsedMs, transport: transport, detail: "malformed answer")
        }
        let family = spec.type == .aaaa ? AF_INET6 : AF_INET
        let size = family == AF_INET6 ? 16 : 4
        let addresses = (0..<Int(n)).map { SocketAddress.format(family: family, bytes: Array(addrs[(16 * $0)..<(16 * $0 + size)])) }
        let status: DNSStatus
        switch rcode {
        case 0: status = .answered
        case 2: status = .servfail
        case 3: status = .nxdomain
        case 5: status = .refused
        default: status = .error
        }
        return DNSQueryResult(
            type: spec.type.rawValue, status: status, rcode: Int(rcode), addresses: addresses, elapsedMs: elapsedMs,
            transport: transport, detail: status == .error ? "rcode \(rcode)" : nil)
    }

    /// A standard query with recursion desired, or nil for an invalid name.
    static func query(id: UInt16, name: String, type: UInt16) -> [UInt8]? {
        var p: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xFF), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
        let trimmed = name.hasSuffix(".") ? String(name.dropLast()) : name
        if !trimmed.isEmpty {
            for label in trimmed.split(separator: ".", omittingEmptySubsequences: false) {
                let bytes = Array(label.utf8)
                guard !bytes.isEmpty, bytes.count <= 63 else { return nil }
                p.append(UInt8(bytes.count))
                p += bytes
            }
        }
        p.append(0)
        guard p.count - 12 <= 255 else { return nil }
        p += [UInt8(type >> 8), UInt8(type & 0xFF), 0, 1]
        return p
    }
}
