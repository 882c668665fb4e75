#if canImport(Glibc)
import Glibc
#endif
// socket types (SOCK_*, sa_family_t) are imported through the C module that includes <sys/socket.h>.
import CSocket
import CHostAuditShims
import HostAuditCore
import SystemPackage

/// How many probes are done, for a progress line.
struct ProbeProgress: Sendable {
    var done: Int
    var total: Int
    /// Seconds until the latest running probe's deadline.
    var secondsLeft: Double
}

/// Probes many TCP ports at once with non-blocking connect(2) and poll(2).
///
/// Each attempt gets `TCP_USER_TIMEOUT` = the time-out as a kernel-side cap
/// and `IP_RECVERR`/`IPV6_RECVERR`. On each event the prober reads, in this
/// order, `SO_ERROR` (draining the error queue first would clear it), then
/// `TCP_INFO`, then the error queue, whose `sock_extended_err` gives the ICMP
/// type, code and sender; a sender that is one of this host's addresses marks
/// a local reject. A port is open only when `SO_ERROR` is 0 and the state is
/// ESTABLISHED (or CLOSE_WAIT: connected, and the server already closed).
/// At the deadline, `TCP_INFO` is read before closing.
///
/// Concurrency is bounded by `maxInFlight` (kept below `RLIMIT_NOFILE`,
/// whose soft limit is raised to the hard one) and `maxInFlightPerAddress`.
/// Routers rate-limit ICMP errors (about 6 in a burst, then 1/s), so when
/// some ports of an address got ICMP answers and others stayed silent, the
/// silent ones are probed again, one at a time (`reprobed` in the evidence).
struct TCPProber: Sendable {
    var timeout: Double
    var maxInFlight: Int
    var maxInFlightPerAddress: Int
    /// Silent ports probed again per address when siblings got ICMP answers.
    var maxReprobesPerAddress: Int

    init(timeout: Double, maxInFlight: Int = 4096, maxInFlightPerAddress: Int = 1024, maxReprobesPerAddress: Int = 8) {
        self.timeout = timeout
        self.maxInFlight = maxInFlight
        self.maxInFlightPerAddress = maxInFlightPerAddress
        self.maxReprobesPerAddress = maxReprobesPerAddress
    }

    /// Probes every request; the result has one evidence per request, in order.
    func probe(_ requests: [ProbeRequest], progress: (@Sendable (ProbeProgress) -> Void)? = nil) -> [TCPProbeEvidence] {
        let limit = FileLimit.raise()
        let open = FileLimit.openCount() ?? 16
        let cap = max(1, min(maxInFlight, limit - open - 32))
        let local = LocalAddresses.current()
        var results = run(requests, cap: cap, perAddress: maxInFlightPerAddress, local: local, progress: progress)

        // Re-probe silent ports alone where siblings on the same address got ICMP errors.
        var byAddress: [String: [Int]] = [:]
        for (i, r) in results.enumerated() { byAddress[r.address, default: []].append(i) }
        var queue: [[Int]] = []
        for (_, indices) in byAddress {
            let gotICMP = indices.contains { results[$0].icmp != nil }
            let silent = indices.filter { isSilent(results[$0]) }
            if gotICMP && !silent.isEmpty { queue.append(Array(silent.prefix(maxReprobesPerAddress))) }
        }
        guard !queue.isEmpty else { return results }
        // One port per address at a time; addresses in parallel. Stop an address
        // after two re-probes in a row stay silent (the silence is real there).
        var silentStreak: [String: Int] = [:]
        var round = 0
        while true {
            let batch = queue.compactMap { $0.indices.contains(round) ? $0[round] : nil }
                .filter { silentStreak[results[$0].address, default: 0] < 2 }
            if batch.isEmpty { break }
            let again = run(batch.map { ProbeRequest(address: results[$0].address, port: results[$0].port) },
                            cap: cap, perAddress: 1, local: local, progress: nil)
            for (i, e) in zip(batch, again) {
                var e = e
                e.reprobed = true
                results[i] = e
                silentStreak[e.address] = isSilent(e) ? silentStreak[e.address, default: 0] + 1 : 0
            }
            round += 1
        }
        return results
    }

    func isSilent(_ e: TCPProbeEvidence) -> Bool {
        e.icmp == nil && (e.phase == .deadline || e.error?.code == .timedOut)
    }

    // MARK: - The poll loop

    private struct Attempt {
        var index: Int
        var fd: Int32
        var startMs: Double
        var deadlineMs: Double
        var address: SocketAddress
        var addressText: String
        /// `getsockname()` right after `connect()`.
        var local: (address: String, port: Int)?
    }

    func run(
        _ requests: [ProbeRequest], cap: Int, perAddress: Int, local: Set<IPAddress>,
        progress: (@Sendable (ProbeProgress) -> Void)?
    ) -> [TCPProbeEvidence] {
        var results = [TCPProbeEvidence?](repeating: nil, count: requests.count)
        var pending = Array(requests.indices.reversed())  // popLast takes them in order
        var active: [Int32: Attempt] = [:]
        var perAddressCount: [String: Int] = [:]
        var effectiveCap = cap
        var done = 0
        var lastProgressMs = 0.0
        let timeoutMs = timeout * 1000
        // One deadline for the first wave: attempts launched within the first
        // tenth of the window (a burst of connect calls) all end at
        // waveStart + timeout, so launching many does not stretch the run.
        // Attempts started later, when a cap freed a slot, get a full window.
        let waveStart = Clock.nowMs()
        let waveDeadline = waveStart + timeoutMs

        func finish(_ a: Attempt, _ e: TCPProbeEvidence) {
            close(a.fd)
            active[a.fd] = nil
            perAddressCount[a.addressText, default: 1] -= 1
            results[a.index] = e
            done += 1
        }

        while !pending.isEmpty || !active.isEmpty {
            // Launch what the caps allow; skip past addresses at their cap.
            var deferred: [Int] = []
            while active.count < effectiveCap, let i = pending.popLast() {
                let req = requests[i]
                guard let sa = SocketAddress(req.address, port: req.port) else {
                    results[i] = TCPProbeEvidence(
                        address: req.address, port: req.port, family: "unknown", phase: .connect,
                        error: ErrnoName.error(EINVAL), elapsedMs: 0)
                    done += 1
                    continue
                }
                let key = sa.text
                if perAddressCount[key, default: 0] >= perAddress {
                    deferred.append(i)
                    continue
                }
                let launchMs = Clock.nowMs()
                let deadline = launchMs - waveStart < timeoutMs / 10 ? waveDeadline : launchMs + timeoutMs
                switch start(index: i, sa: sa, ttl: req.ttl, deadlineMs: deadline, timeoutMs: timeoutMs, local: local) {
                case .running(let a):
                    active[a.fd] = a
                    perAddressCount[key, default: 0] += 1
                case .finished(let e):
                    results[i] = e
                    done += 1
                case .outOfDescriptors:
                    // EMFILE/ENFILE: retry when something closes; never go below one.
                    effectiveCap = max(1, active.count)
                    deferred.append(i)
                    if active.isEmpty {
                        results[i] = TCPProbeEvidence(
                            address: req.address, port: req.port, family: sa.familyName, phase: .connect,
                            error: ErrnoName.error(EMFILE), elapsedMs: 0)
                        deferred.removeLast()
                        done += 1
                    }
                }
            }
            pending.append(contentsOf: deferred.reversed())
            if active.isEmpty {
                if pending.isEmpty { break }
                continue
            }

            let now = Clock.nowMs()
            let nextDeadline = active.values.map(\.deadlineMs).min() ?? now
            var fds = active.keys.map { pollfd(fd: $0, events: Int16(POLLOUT), revents: 0) }
            let waitMs = Int32(max(0, min(1000, (nextDeadline - now).rounded(.up))))
            let n: Int32
            switch SocketIO.poll(&fds, timeoutMs: waitMs) {
            case .success(let ready): n = ready
            case .failure(let err) where err.rawValue == EINTR: n = 0  // the loop recomputes the wait
            case .failure(let err):
                // EINVAL: more descriptors than RLIMIT_NOFILE; should not happen with the cap.
                for a in active.values {
                    finish(a, TCPProbeEvidence(
                        address: a.addressText, port: Int(a.address.port), family: a.address.familyName,
                        phase: .poll, error: ErrnoName.error(err), elapsedMs: Clock.nowMs() - a.startMs))
                }
                continue
            }
            if n > 0 {
                for p in fds where p.revents != 0 {
                    guard let a = active[p.fd] else { continue }
                    let e = evaluate(a, local: local, atDeadline: false)
                    if Self.isSettled(e) { finish(a, e) }
                }
            }
            let after = Clock.nowMs()
            for a in active.values where a.deadlineMs <= after {
                finish(a, evaluate(a, local: local, atDeadline: true))
            }
            if let progress, after - lastProgressMs >= 200 {
                lastProgressMs = after
                let left = (active.values.map(\.deadlineMs).max() ?? after) - after
                progress(ProbeProgress(done: done, total: requests.count, secondsLeft: max(0, left / 1000)))
            }
        }
        return results.enumerated().map { i, r in
            r ?? TCPProbeEvidence(
                address: requests[i].address, port: requests[i].port, family: "unknown", phase: .connect,
                error: ErrnoName.error(EINVAL), elapsedMs: 0)
        }
    }

    private enum StartResult {
        case running(Attempt)
        case finished(TCPProbeEvidence)
        case outOfDescriptors
    }

    private func start(index: Int, sa: SocketAddress, ttl: Int?, deadlineMs: Double, timeoutMs: Double, local: Set<IPAddress>) -> StartResult {
        let startMs = Clock.nowMs()
        let fd: Int32
        switch sa.openProbeSocket(SOCK_STREAM, ttl: ttl) {
        case .success(let opened): fd = opened
        case .failure(let err):
            if err.rawValue == EMFILE || err.rawValue == ENFILE { return .outOfDescriptors }
            return .finished(TCPProbeEvidence(
                address: sa.text, port: Int(sa.port), family: sa.familyName, phase: .connect,
                error: ErrnoName.error(err), elapsedMs: 0))
        }
        SockOpt.setInt(fd, Int32(IPPROTO_TCP), TCP_USER_TIMEOUT, Int32(min(Double(Int32.max), timeoutMs)))
        let connected = sa.connect(fd)
        let a = Attempt(
            index: index, fd: fd, startMs: startMs, deadlineMs: deadlineMs, address: sa, addressText: sa.text,
            local: SocketAddress.local(of: fd))
        let err: Errno
        switch connected {
        case .success:
            let e = evaluate(a, local: local, atDeadline: false)
            close(fd)
            return .finished(e)
        case .failure(let e) where e.rawValue == EINPROGRESS:
            return .running(a)
        case .failure(let e):
            err = e
        }
        // Any other errno is the host's own verdict (no route, prohibit route, EPERM from a hook, …).
        var e = TCPProbeEvidence(
            address: sa.text, port: Int(sa.port), family: sa.familyName, phase: .connect, error: ErrnoName.error(err),
            elapsedMs: Clock.nowMs() - startMs)
        e.tcpInfo = tcpInfo(fd)
        e.icmp = drainErrorQueue(fd, local: local)
        e.localAddress = a.local?.address
        e.localPort = a.local?.port
        close(fd)
        return .finished(e)
    }

    /// Reads SO_ERROR, then TCP_INFO, then the error queue: what the socket
    /// says now. Before the deadline that may be nothing final (a spurious
    /// wake-up: `isSettled` is false) and the attempt waits on.
    private func evaluate(_ a: Attempt, local: Set<IPAddress>, atDeadline: Bool) -> TCPProbeEvidence {
        let soErr = SockOpt.soError(a.fd)
        let ti = tcpInfo(a.fd)
        let icmp = drainErrorQueue(a.fd, local: local)
        let elapsed = Clock.nowMs() - a.startMs
        var e = TCPProbeEvidence(
            address: a.addressText, port: Int(a.address.port), family: a.address.familyName,
            phase: atDeadline ? .deadline : .poll, error: soErr == 0 ? nil : ErrnoName.error(soErr), icmp: icmp,
            tcpInfo: ti, elapsedMs: elapsed)
        e.localAddress = a.local?.address
        e.localPort = a.local?.port
        if soErr == 0 && ti?.isConnected == true { return e }
        if soErr != 0 || icmp != nil || atDeadline { return e }
        if ti?.state == .close { e.error = ErrnoName.error(ECONNRESET) }
        return e
    }

    /// The attempt has ended: connected, failed, answered with an ICMP error,
    /// or its deadline passed.
    static func isSettled(_ e: TCPProbeEvidence) -> Bool {
        e.tcpInfo?.isConnected == true || e.error != nil || e.icmp != nil || e.phase == .deadline
    }

    private func tcpInfo(_ fd: Int32) -> TCPInfoSnapshot? {
        var ti = CHostAuditShims_tcp_info()
        guard CHostAuditShims_get_tcp_info(fd, &ti) == 0 else { return nil }
        return TCPInfoSnapshot(
            state: TCPState(number: Int(ti.state)), retransmits: Int(ti.retransmits),
            totalRetrans: Int(ti.total_retrans), rtoMs: Int(ti.rto_us / 1000))
    }
}

/// Drains a socket's error queue and returns its first ICMP error, if any.
func drainErrorQueue(_ fd: Int32, local: Set<IPAddress>) -> ICMPError? {
    var first: ICMPError? = nil
    for _ in 0..<16 {
        var ee = CHostAuditShims_sock_err()
        guard CHostAuditShims_recv_errqueue(fd, &ee) == 1 else { break }
        let origin = Int32(ee.origin)
        guard origin == CHostAuditShims_ee_origin_icmp() || origin == CHostAuditShims_ee_origin_icmp6() else { continue }
        var offender: IPAddress? = nil
        if ee.offender_family == AF_INET || ee.offender_family == AF_INET6 {
            let n = ee.offender_family == AF_INET ? 4 : 16
            offender = IPAddress(bytes: withUnsafeBytes(of: ee.offender) { Array($0.prefix(n)) })
        }
        if first == nil {
            first = ICMPError(
                origin: origin == CHostAuditShims_ee_origin_icmp6() ? .icmp6 : .icmp, type: Int(ee.type),
                code: Int(ee.code), offender: offender?.inetNtopText,
                offenderIsLocal: offender.map { local.contains($0) } ?? false)
        }
    }
    return first
}
