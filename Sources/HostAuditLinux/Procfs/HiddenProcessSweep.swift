#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import HostAuditCore

/// Finds pids that answer signals but that the `/proc` listing omits (B7):
/// a kernel rootkit that hooks `getdents` (Diamorphine) still lets
/// `kill(pid, 0)` through.
///
/// Every pid below `pid_max` is probed with `kill(pid, 0)` (ESRCH = no such
/// task; 0 or EPERM = alive). Each alive pid absent from the getdents64
/// listing is a candidate: thread ids are excluded through `Tgid` in
/// `/proc/PID/status` (looked up by name, which a listing hook does not
/// affect), the rest are confirmed with `getsid`, `getpgid`,
/// `sched_getparam` and a stat of `/proc/PID`, then listed again: a pid is
/// reported only when it is still alive and still absent.
package struct HiddenProcessSweep: Sendable {
    package let procfs: Procfs
    /// Overrides `/proc/sys/kernel/pid_max` (benchmarks).
    package var pidMax: Int?
    /// Replaces the getdents64 listing (tests simulate a getdents hook with it).
    package var lister: (@Sendable () throws(ProbeError) -> [Int32])?

    package init(
        procfs: Procfs = Procfs(), pidMax: Int? = nil, lister: (@Sendable () throws(ProbeError) -> [Int32])? = nil
    ) {
        self.procfs = procfs
        self.pidMax = pidMax
        self.lister = lister
    }

    package func run() throws(ProbeError) -> HiddenSweep {
        let io = ProcfsIO()
        let t0 = monotonicNow()
        let limit: Int
        if let pidMax {
            limit = pidMax
        } else {
            let text: String
            do throws(SysErr) { text = try procfs.readText("sys/kernel/pid_max", io) } catch {
                throw ProbeError.from(error.call, path: procfs.root + "/sys/kernel/pid_max", errno: error.errno)
            }
            guard let v = Int(text.filter { !$0.isWhitespace }) else {
                throw ProbeError.malformed(what: procfs.root + "/sys/kernel/pid_max", reason: "not a number")
            }
            limit = v
        }
        func list() throws(ProbeError) -> Set<Int32> {
            if let lister { return Set(try lister()) }
            return Set(try procfs.listPids(io))
        }

        let listed = try list()
        var alive: [Int32] = []
        var pid: Int32 = 1
        let top = Int32(clamping: limit)
        while pid < top {
            if kill(pid, 0) == 0 || errno == EPERM { alive.append(pid) }
            pid += 1
        }

        let procfd = (try? io.openDirectory(procfs.root)) ?? -1
        defer { if procfd >= 0 { close(procfd) } }

        var threads = 0
        var candidates: [(pid: Int32, seen: [String], comm: String?, ppid: Int32?)] = []
        var raced = 0
        for p in alive where !listed.contains(p) {
            // Threads: /proc/TID resolves by name but is not listed; its Tgid differs.
            var comm: String?
            var ppid: Int32?
            var seen = ["kill"]
            if procfd >= 0, let dir = try? io.openDirectory(String(p), at: procfd) {
                defer { close(dir) }
                seen.append("stat-proc-path")
                if let s = try? io.read("status", at: dir, limit: 16384) {
                    let status = Procfs.parseStatus(s.bytes)
                    if let tgid = status.tgid, tgid != p {
                        threads += 1
                        continue
                    }
                }
                if let s = try? io.read("stat", at: dir, limit: 4096), let st = Procfs.parseStat(s.bytes) {
                    comm = HostBytes.text(st.commBytes).text
                    ppid = st.ppid
                }
            }
            errno = 0
            if getsid(p) != -1 || errno == EPERM { seen.append("getsid") }
            if getpgid(p) != -1 || errno == EPERM { seen.append("getpgid") }
            var param = sched_param()
            if sched_getparam(p, &param) == 0 || errno == EPERM { seen.append("sched_getparam") }
            // A zombie answers kill but not getsid: it is still a listed process, so a race
            // with its reaping, not a hidden one, unless it stays absent below.
            if seen.count == 1 {
                raced += 1
                continue
            }
            candidates.append((p, seen, comm, ppid))
        }

        var hidden: [HiddenSweep.HiddenPid] = []
        if !candidates.isEmpty {
            let second = try list()
            for c in candidates {
                let stillAlive = kill(c.pid, 0) == 0 || errno == EPERM
                if stillAlive && !second.contains(c.pid) {
                    hidden.append(HiddenSweep.HiddenPid(pid: c.pid, seenBy: c.seen, comm: c.comm, ppid: c.ppid))
                } else {
                    raced += 1
                }
            }
        }
        let ms = (monotonicNow() - t0) * 1000
        return HiddenSweep(
            pidMax: limit, alive: alive.count, threads: threads, listed: listed.count, hidden: hidden, raced: raced,
            durationMs: (ms * 10).rounded() / 10)
    }
}

private let clockOrigin = ContinuousClock.now

/// Seconds on the monotonic clock (from an arbitrary origin).
func monotonicNow() -> Double {
    let d = ContinuousClock.now - clockOrigin
    return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}
