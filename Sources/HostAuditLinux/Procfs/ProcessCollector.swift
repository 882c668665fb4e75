#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation
import HostAuditCore
import Synchronization

/// Options for `facts processes` beyond the scope.
public struct ProcessCollectionOptions: Sendable {
    /// Seconds between the two CPU samples; 0 disables the sample.
    public var cpuInterval: Double
    /// Run the hidden-pid sweep.
    public var hiddenSweep: Bool
    /// Overrides pid_max for the sweep (benchmarks).
    public var sweepPidMax: Int?
    public var procfs: Procfs.Options
    /// YARA signatures over executables and candidate processes' memory; nil: not scanned.
    public var signatures: SignatureScanOptions? = nil

    public init(cpuInterval: Double = 0.5, hiddenSweep: Bool = true, sweepPidMax: Int? = nil, procfs: Procfs.Options = .init()) {
        self.cpuInterval = cpuInterval
        self.hiddenSweep = hiddenSweep
        self.sweepPidMax = sweepPidMax
        self.procfs = procfs
    }
}

/// Collects the `processes` section. Processes are live-kernel facts: with
/// `--root` the section is marked unavailable and nothing is read from the
/// machine running hostaudit.
public struct ProcessCollector: Sendable {
    public let scope: CollectionScope
    public let procfs: Procfs
    public let options: ProcessCollectionOptions

    public init(scope: CollectionScope = .live, procfs: Procfs = Procfs(), options: ProcessCollectionOptions = .init()) {
        self.scope = scope
        self.procfs = procfs
        self.options = options
    }

    public func collect() -> ProcessesFacts {
        guard scope.isLive else {
            return .unavailable(
                procRoot: procfs.root,
                reason: "processes are live-kernel facts; not read with --root (the image has no running processes)")
        }
        let io = ProcfsIO()
        let hz = Int(sysconf(Int32(_SC_CLK_TCK)))
        let euid = geteuid()
        var errors: [String] = []
        let pids: [Int32]
        do { pids = try procfs.listPids(io) } catch {
            return .unavailable(procRoot: procfs.root, reason: "\(error)")
        }
        let procfd: Int32
        do throws(SysErr) { procfd = try io.openDirectory(procfs.root) } catch {
            return .unavailable(procRoot: procfs.root, reason: "open \(procfs.root): \(error.message)")
        }
        defer { close(procfd) }
        let btime = procfs.bootTime(io)
        if btime == nil { errors.append("\(procfs.root)/stat: no btime; start times unknown") }

        let (list0, vanished) = readAll(pids.sorted(), procfd: procfd, io: io, btime: btime, hz: hz, euid: euid)
        var list = list0
        let listed = Set(list.map(\.pid))
        for i in list.indices {
            let pp = list[i].ppid
            list[i].parentListed = pp == 0 || listed.contains(pp)
        }

        var cpu: CPUSample?
        if options.cpuInterval > 0 {
            do {
                let sample = try CPUSampler(procfs: procfs).sample(interval: options.cpuInterval, hz: hz)
                cpu = sample.host
                for i in list.indices {
                    if let d = sample.perProcess[list[i].pid], d.startTicks == list[i].startTicks {
                        list[i].cpu.percent = d.percent
                    }
                }
            } catch { errors.append("cpu sample: \(error)") }
        }

        var sweep: HiddenSweep?
        if options.hiddenSweep {
            do { sweep = try HiddenProcessSweep(procfs: procfs, pidMax: options.sweepPidMax).run() } catch {
                errors.append("hidden-pid sweep: \(error)")
            }
        }
        let privileged: Bool
        switch options.procfs.privilegedReads {
        case .always: privileged = true
        case .never: privileged = false
        case .auto: privileged = euid == 0
        }
        var facts = ProcessesFacts(
            available: true, procRoot: procfs.root, privileged: privileged, clockTicksPerSecond: hz, bootTime: btime,
            list: list, vanished: vanished, cpu: cpu, hiddenSweep: sweep, errors: errors)
        if let signatures = options.signatures { SignatureScanner.apply(signatures, to: &facts) }
        return facts
    }
}

extension ProcessCollector {
    /// Processes per worker below which the scan stays on one thread.
    static let parallelThreshold = 256

    /// Reads every pid, in pid order. On large process tables the pids are
    /// read by up to `activeProcessorCount` (at most 4; the environment
    /// variable HOSTAUDIT_SCAN_WORKERS overrides it for benchmarks) workers, each with
    /// its own buffer and a contiguous share of the sorted pids; the results
    /// are concatenated in pid order, so the facts are those of a
    /// sequential scan. Each process is read through its own `/proc/PID`
    /// directory fd either way.
    func readAll(
        _ pids: [Int32], procfd: Int32, io: ProcfsIO, btime: Int64?, hz: Int, euid: UInt32
    ) -> (list: [ProcessFact], vanished: Int) {
        let cpus = ProcessInfo.processInfo.activeProcessorCount
        var workers = max(1, min(cpus, 4, pids.count / Self.parallelThreshold))
        // Benchmark knob: HOSTAUDIT_SCAN_WORKERS=N (1 = the sequential scan).
        if let v = getenv("HOSTAUDIT_SCAN_WORKERS").flatMap({ Int(String(cString: $0)) }) {
            workers = max(1, min(v, 16, max(pids.count, 1)))
        }
        if workers == 1 {
            return readRange(pids[...], procfd: procfd, io: io, btime: btime, hz: hz, euid: euid)
        }
        // Small shares, many more than workers, so a slow share (a process
        // with a huge maps file) does not hold the others up and the workers
        // finish together.
        let size = 64
        let shares = (pids.count + size - 1) / size
        // Each share's result is handed in under the lock once (one lock
        // operation per 64 processes).
        let shareResults = Mutex([(list: [ProcessFact], vanished: Int)](repeating: ([], 0), count: shares))
        let procfs = self.procfs
        let options = self.options.procfs
        let next = NextShare()
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            let io = ProcfsIO()
            while let k = next.take(below: shares) {
                let lower = min(k * size, pids.count), upper = min(lower + size, pids.count)
                let r = Self.readRange(
                    pids[lower..<upper], procfs: procfs, options: options, procfd: procfd, io: io, btime: btime,
                    hz: hz, euid: euid)
                shareResults.withLock { $0[k] = r }
            }
        }
        let results = shareResults.withLock { $0 }
        var list: [ProcessFact] = []
        list.reserveCapacity(pids.count)
        var vanished = 0
        for r in results {
            list.append(contentsOf: r.list)
            vanished += r.vanished
        }
        return (list, vanished)
    }

    func readRange(
        _ pids: ArraySlice<Int32>, procfd: Int32, io: ProcfsIO, btime: Int64?, hz: Int, euid: UInt32
    ) -> (list: [ProcessFact], vanished: Int) {
        Self.readRange(pids, procfs: procfs, options: options.procfs, procfd: procfd, io: io, btime: btime, hz: hz, euid: euid)
    }

    static func readRange(
        _ pids: ArraySlice<Int32>, procfs: Procfs, options: Procfs.Options, procfd: Int32, io: ProcfsIO, btime: Int64?,
        hz: Int, euid: UInt32
    ) -> (list: [ProcessFact], vanished: Int) {
        var list: [ProcessFact] = []
        list.reserveCapacity(pids.count)
        var vanished = 0
        for pid in pids {
            switch procfs.readProcess(pid: pid, procfd: procfd, io: io, options: options, btime: btime, hz: hz, euid: euid) {
            case .process(let p): list.append(p)
            case .vanished: vanished += 1
            }
        }
        return (list, vanished)
    }
}

/// Hands out share numbers to the scan's workers.
private final class NextShare: Sendable {
    private let value = Atomic(0)

    func take(below limit: Int) -> Int? {
        let k = value.wrappingAdd(1, ordering: .relaxed).oldValue
        return k < limit ? k : nil
    }
}

/// Two samples of /proc/stat and every process's stat, `interval` apart.
struct CPUSampler {
    let procfs: Procfs

    struct Delta {
        var startTicks: UInt64
        var percent: Double
    }

    struct HostTicks {
        var busy: UInt64
        var total: UInt64
        var cpus: Int
    }

    func sample(interval: Double, hz: Int) throws(ProbeError) -> (host: CPUSample, perProcess: [Int32: Delta]) {
        let io = ProcfsIO()
        let h0 = try hostTicks(io)
        let t0 = monotonicNow()
        let a = try processTicks(io)
        var remaining = interval
        while remaining > 0 {
            let s = min(remaining, 1.0)
            usleep(UInt32(s * 1_000_000))
            remaining -= s
        }
        let h1 = try hostTicks(io)
        let t1 = monotonicNow()
        let b = try processTicks(io)
        let elapsed = max(t1 - t0, 0.001)
        var per: [Int32: Delta] = [:]
        let sum = Self.accountedTicks(a, b)
        var both = 0
        for (pid, tb) in b {
            guard let ta = a[pid], ta.start == tb.start, tb.ticks >= ta.ticks else { continue }
            let d = tb.ticks - ta.ticks
            both += 1
            let pct = Double(d) / (elapsed * Double(max(hz, 1))) * 100
            per[pid] = Delta(startTicks: tb.start, percent: (pct * 100).rounded() / 100)
        }
        let host = CPUSample(
            intervalSeconds: (elapsed * 1000).rounded() / 1000, cpus: h1.cpus,
            hostBusyTicks: h1.busy &- h0.busy, hostTotalTicks: h1.total &- h0.total, processTicks: sum,
            processesSampled: both)
        return (host, per)
    }

    /// The aggregate `cpu` line of /proc/stat (guest time is already in user).
    func hostTicks(_ io: ProcfsIO) throws(ProbeError) -> HostTicks {
        let text: String
        do throws(SysErr) { text = try procfs.readText("stat", io) } catch {
            throw ProbeError.from(error.call, path: procfs.root + "/stat", errno: error.errno)
        }
        var cpus = 0
        var result: HostTicks?
        for line in text.split(separator: "\n") {
            if line.hasPrefix("cpu ") {
                let v = line.split(separator: " ").dropFirst().compactMap { UInt64($0) }
                guard v.count >= 4 else { continue }
                let fields = Array(v.prefix(8))  // user nice system idle iowait irq softirq steal
                let total = fields.reduce(0, +)
                let idle = fields[3] + (fields.count > 4 ? fields[4] : 0)
                result = HostTicks(busy: total - idle, total: total, cpus: 0)
            } else if line.hasPrefix("cpu") {
                cpus += 1
            }
        }
        guard var r = result else {
            throw ProbeError.malformed(what: procfs.root + "/stat", reason: "no aggregate cpu line")
        }
        r.cpus = cpus
        return r
    }

    typealias Ticks = (start: UInt64, ticks: UInt64, children: UInt64, ppid: Int32)

    /// CPU ticks the processes account for between two samples: the growth of
    /// each surviving process's own time, plus the time of children that
    /// exited and were reaped during the interval (the growth of the parent's
    /// cutime+cstime, less what those children had already used at the first
    /// sample). Under process churn the exited processes' time was otherwise
    /// "unaccounted", and cpu-time-unaccounted failed falsely.
    static func accountedTicks(_ a: [Int32: Ticks], _ b: [Int32: Ticks]) -> UInt64 {
        var before: [Int32: UInt64] = [:]  // parent → first-sample totals of its children that vanished
        for (pid, ta) in a where b[pid].map({ $0.start != ta.start }) ?? true {
            before[ta.ppid, default: 0] += ta.ticks + ta.children
        }
        var sum: UInt64 = 0
        for (pid, tb) in b {
            guard let ta = a[pid], ta.start == tb.start, tb.ticks >= ta.ticks else { continue }
            sum += tb.ticks - ta.ticks
            if tb.children > ta.children {
                let reaped = tb.children - ta.children
                let old = before[pid] ?? 0
                if reaped > old { sum += reaped - old }
            }
        }
        return sum
    }

    func processTicks(_ io: ProcfsIO) throws(ProbeError) -> [Int32: Ticks] {
        let procfd: Int32
        do throws(SysErr) { procfd = try io.openDirectory(procfs.root) } catch {
            throw ProbeError.from(error.call, path: procfs.root, errno: error.errno)
        }
        defer { close(procfd) }
        var pids: [Int32] = []
        do throws(SysErr) { pids = try io.pids(of: procfd) } catch {
            throw ProbeError.from(error.call, path: procfs.root, errno: error.errno)
        }
        var out: [Int32: Ticks] = [:]
        out.reserveCapacity(pids.count)
        for pid in pids {
            guard let r = try? io.read("\(pid)/stat", at: procfd, limit: 4096), let st = Procfs.parseStat(r.bytes)
            else { continue }
            out[pid] = (st.startTicks, st.utime + st.stime, st.childTicks, st.ppid)
        }
        return out
    }
}
