/// The `processes` section of `hostaudit facts`: every process the kernel
/// lists in `/proc` (read with raw `getdents64`, so a libc `readdir` hook
/// cannot hide one), CPU use over a short interval, and a hidden-pid sweep.
///
/// Paths policies read, e.g. `processes.list[].exe.deleted`,
/// `processes.list[].cmdline.args`, `processes.list[].fake_kernel_thread`,
/// `processes.list[].environ.variables[].name`, `processes.hidden_sweep.hidden[].pid`,
/// `processes.cpu.unaccounted_percent`.
public struct ProcessesFacts: Encodable, Sendable, Equatable {
    /// False with `--root` (processes are live-kernel facts) or when /proc cannot be listed.
    public var available: Bool
    public var unavailableReason: String?
    /// The procfs mount read (`/proc` on a live host).
    public var procRoot: String
    /// Whether root-only fields (environ, maps, sockets of other users' processes) were read.
    public var privileged: Bool
    public var clockTicksPerSecond: Int
    /// Boot time (`btime` in /proc/stat), seconds since the epoch.
    public var bootTime: Int64?
    public var count: Int
    /// Processes that exited while they were being read (skipped, not errors).
    public var vanished: Int
    /// Processes with at least one unreadable entry (see `list[].unreadable`).
    public var withUnreadable: Int
    public var list: [ProcessFact]
    /// Null when the CPU sample was disabled (`--cpu-interval 0`) or not taken.
    public var cpu: CPUSample?
    /// Null when the sweep was not run.
    public var hiddenSweep: HiddenSweep?
    /// The YARA pass (rules loaded, files and memory scanned); null when not run.
    public var signatures: SignatureScanSummary? = nil
    public var errors: [String]

    public init(
        available: Bool, unavailableReason: String? = nil, procRoot: String, privileged: Bool,
        clockTicksPerSecond: Int, bootTime: Int64?, list: [ProcessFact], vanished: Int, cpu: CPUSample? = nil,
        hiddenSweep: HiddenSweep? = nil, errors: [String] = []
    ) {
        self.available = available
        self.unavailableReason = unavailableReason
        self.procRoot = procRoot
        self.privileged = privileged
        self.clockTicksPerSecond = clockTicksPerSecond
        self.bootTime = bootTime
        self.count = list.count
        self.vanished = vanished
        self.withUnreadable = list.filter { !$0.unreadable.isEmpty }.count
        self.list = list
        self.cpu = cpu
        self.hiddenSweep = hiddenSweep
        self.errors = errors
    }

    public static func unavailable(procRoot: String, reason: String) -> ProcessesFacts {
        ProcessesFacts(
            available: false, unavailableReason: reason, procRoot: procRoot, privileged: false,
            clockTicksPerSecond: 0, bootTime: nil, list: [], vanished: 0)
    }
}

/// One process (thread group) from `/proc/PID`.
public struct ProcessFact: Encodable, Sendable, Equatable {
    public var pid: Int32
    public var ppid: Int32
    /// Single-letter state from `stat` (R, S, D, Z, T, t, X, I …).
    public var state: String
    /// `comm` from `stat` (at most 15 bytes, set by the kernel from the exe name or prctl).
    public var comm: String
    public var commB64: String?
    public var cmdline: ProcessCommandLine
    /// Null for kernel threads, zombies, or when unreadable.
    public var exe: ProcessPath?
    public var cwd: ProcessPath?
    public var uids: IDs
    public var gids: IDs
    public var threads: Int
    /// `stat` field 9.
    public var flags: UInt32
    /// PF_KTHREAD (0x00200000) is set: a real kernel thread (cleared by execve, so userland cannot keep it).
    public var kernelThread: Bool
    /// The name looks like a kernel thread (bracketed argv[0]/comm, or a kernel-thread name such as kworker).
    public var kernelThreadName: Bool
    /// A kernel-thread-like name on something that is not a kernel thread.
    public var fakeKernelThread: Bool
    /// Why: `has-exe`, `parent-not-kthreadd`, `no-kthread-flag`, `has-cmdline`.
    public var fakeKernelThreadReasons: [String]
    /// Start time, milliseconds since the epoch (stat field 22 + btime); null without btime.
    public var startTimeMs: Int64?
    /// Stat field 22: clock ticks after boot.
    public var startTicks: UInt64
    public var cpu: ProcessCPU
    /// The parent pid has an entry in the same /proc listing (B8: false hints at a hidden parent).
    public var parentListed: Bool
    /// Selected environment variables (root or same user only); null when not read.
    public var environ: ProcessEnviron?
    /// Summary of `/proc/PID/maps` (root or same user only); null when not read.
    public var maps: ProcessMaps?
    /// Inodes of the process's sockets (`/proc/PID/fd/N` → `socket:[INODE]`); null when not read.
    public var socketInodes: [UInt64]?
    public var fdCount: Int?
    /// Entries that could not be read, e.g. `exe: Permission denied`.
    public var unreadable: [String]
    /// YARA matches over the executable and (for candidates) memory; null when no signatures were loaded.
    public var signatures: ProcessSignatures? = nil

    public init(
        pid: Int32, ppid: Int32, state: String, comm: String, commB64: String?, cmdline: ProcessCommandLine,
        exe: ProcessPath?, cwd: ProcessPath?, uids: IDs, gids: IDs, threads: Int, flags: UInt32,
        startTimeMs: Int64?, startTicks: UInt64, cpu: ProcessCPU, parentListed: Bool = true,
        environ: ProcessEnviron?, maps: ProcessMaps?, socketInodes: [UInt64]?, fdCount: Int?, unreadable: [String]
    ) {
        self.pid = pid
        self.ppid = ppid
        self.state = state
        self.comm = comm
        self.commB64 = commB64
        self.cmdline = cmdline
        self.exe = exe
        self.cwd = cwd
        self.uids = uids
        self.gids = gids
        self.threads = threads
        self.flags = flags
        self.kernelThread = flags & Self.pfKthread != 0
        self.startTimeMs = startTimeMs
        self.startTicks = startTicks
        self.cpu = cpu
        self.parentListed = parentListed
        self.environ = environ
        self.maps = maps
        self.socketInodes = socketInodes
        self.fdCount = fdCount
        self.unreadable = unreadable
        let verdict = KernelThreadCheck.evaluate(
            pid: pid, ppid: ppid, comm: comm, argv0: cmdline.args.first, cmdlineLength: cmdline.length,
            hasExe: exe != nil, kthreadFlag: kernelThread)
        self.kernelThreadName = verdict.nameLike
        self.fakeKernelThread = !verdict.reasons.isEmpty
        self.fakeKernelThreadReasons = verdict.reasons
    }

    public static let pfKthread: UInt32 = 0x0020_0000

    public struct IDs: Encodable, Sendable, Equatable {
        public var real: UInt32
        public var effective: UInt32
        public var saved: UInt32
        public var fs: UInt32
        public init(real: UInt32, effective: UInt32, saved: UInt32, fs: UInt32) {
            self.real = real
            self.effective = effective
            self.saved = saved
            self.fs = fs
        }
    }
}

public struct ProcessCPU: Encodable, Sendable, Equatable {
    /// utime (stat field 14), clock ticks.
    public var userTicks: UInt64
    /// stime (stat field 15), clock ticks.
    public var systemTicks: UInt64
    /// (utime + stime) / clock ticks per second.
    public var seconds: Double
    /// CPU use over the sample interval, in percent of one CPU (can exceed 100
    /// for multi-threaded processes); null when no second sample was taken.
    public var percent: Double?

    public init(userTicks: UInt64, systemTicks: UInt64, ticksPerSecond: Int, percent: Double? = nil) {
        self.userTicks = userTicks
        self.systemTicks = systemTicks
        self.seconds = Double(userTicks + systemTicks) / Double(max(ticksPerSecond, 1))
        self.percent = percent
    }

    public var totalTicks: UInt64 { userTicks + systemTicks }
}

/// Environment variables a policy needs, never the whole environment (it holds secrets).
public struct ProcessEnviron: Encodable, Sendable, Equatable {
    public var variables: [Variable]
    /// Number of variables in the environment.
    public var count: Int
    /// The environment was larger than the read limit.
    public var truncated: Bool

    public init(variables: [Variable], count: Int, truncated: Bool) {
        self.variables = variables
        self.count = count
        self.truncated = truncated
    }

    public struct Variable: Encodable, Sendable, Equatable {
        public var name: String
        public var value: String
        public var valueB64: String?
        public init(name: String, value: String, valueB64: String?) {
            self.name = name
            self.value = value
            self.valueB64 = valueB64
        }
    }

    /// The dynamic-linker variables and the markers miners leave (B9).
    public static let reportedNames: Set<String> = [
        "LD_PRELOAD", "LD_AUDIT", "LD_LIBRARY_PATH", "LD_BIND_NOW", "LD_DEBUG", "LD_PROFILE", "LD_ORIGIN_PATH",
        "LD_DYNAMIC_WEAK", "LD_SHOW_AUXV", "LD_USE_LOAD_BIAS", "GCONV_PATH", "HISTFILE", "HISTFILESIZE", "HISTSIZE",
        "SKL",
    ]

    /// The reported names as bytes, which byte flags a possible first byte
    /// of one, and the longest length: most variables are ruled out without
    /// making a String of their name or hashing it.
    private static let reportedNameBytes: [[UInt8]] = reportedNames.sorted().map { Array($0.utf8) }
    private static let reportedFirstBytes: [Bool] = {
        var first = [Bool](repeating: false, count: 256)
        for name in reportedNameBytes { first[Int(name[0])] = true }
        return first
    }()
    private static let reportedMaxLength = reportedNames.map(\.utf8.count).max() ?? 0

    /// Parses `/proc/PID/environ` (NUL-separated `NAME=value`). Names are
    /// compared byte for byte with the reported ones; no String is made for
    /// the dozens of variables that are not reported.
    public static func parse(_ bytes: [UInt8], truncated: Bool) -> ProcessEnviron {
        bytes.withUnsafeBufferPointer { parse($0, truncated: truncated) }
    }

    /// `parse` of bytes in place (the scan's read buffer).
    package static func parse(_ buf: UnsafeBufferPointer<UInt8>, truncated: Bool) -> ProcessEnviron {
        var vars: [Variable] = []
        var count = 0
        let firsts = reportedFirstBytes, maxLength = reportedMaxLength, names = reportedNameBytes
        var i = 0
        let end = buf.count
        while i < end {
            if buf[i] == 0 { i += 1; continue }
            let start = i
            i = ByteScan.index(of: 0, in: buf, from: i)
            count += 1
            guard firsts[Int(buf[start])] else { continue }
            var eq = start
            while eq < i && buf[eq] != UInt8(ascii: "=") { eq += 1 }
            guard eq < i, eq - start <= maxLength else { continue }
            let nameBytes = UnsafeBufferPointer(rebasing: buf[start..<eq])
            guard let n = names.firstIndex(where: { $0.count == nameBytes.count && $0.elementsEqual(nameBytes) })
            else { continue }
            let (value, b64) = HostBytes.text(buf[(eq + 1)..<i])
            vars.append(Variable(name: String(decoding: names[n], as: UTF8.self), value: value, valueB64: b64))
        }
        return ProcessEnviron(variables: vars, count: count, truncated: truncated)
    }
}

/// What `/proc/PID/maps` says about injected code.
public struct ProcessMaps: Encodable, Sendable, Equatable {
    /// Distinct shared objects (`*.so*`) mapped executable.
    public var sharedObjects: Int
    /// Shared objects mapped from unusual places: deleted, memfd, temp or dot
    /// directories, or outside the system library directories (B10).
    public var suspiciousLibraries: [Library]
    /// Executable mappings with no file behind them (B12; JITs make these too).
    public var anonymousExecutable: [Mapping]
    public var anonymousExecutableCount: Int
    /// Executable mappings of deleted or memfd files that are not shared objects.
    public var deletedExecutable: [Library]

    public init(
        sharedObjects: Int, suspiciousLibraries: [Library], anonymousExecutable: [Mapping],
        anonymousExecutableCount: Int, deletedExecutable: [Library]
    ) {
        self.sharedObjects = sharedObjects
        self.suspiciousLibraries = suspiciousLibraries
        self.anonymousExecutable = anonymousExecutable
        self.anonymousExecutableCount = anonymousExecutableCount
        self.deletedExecutable = deletedExecutable
    }

    public struct Library: Encodable, Sendable, Equatable {
        public var path: ProcessPath
        /// `deleted`, `memfd`, `temp-dir`, `dot-dir`, `unusual-dir`.
        public var reasons: [String]
        public init(path: ProcessPath, reasons: [String]) {
            self.path = path
            self.reasons = reasons
        }
    }

    public struct Mapping: Encodable, Sendable, Equatable {
        /// `start-end` as in maps.
        public var address: String
        public var perms: String
        public init(address: String, perms: String) {
            self.address = address
            self.perms = perms
        }
    }

    /// Directories shared objects normally come from.
    public static let systemLibraryDirectories = [
        "/lib/", "/lib64/", "/lib32/", "/libx32/", "/usr/lib/", "/usr/lib64/", "/usr/lib32/", "/usr/libx32/",
        "/usr/libexec/",
    ]
    static let anonymousListLimit = 16

    /// Why a mapped shared object is suspicious (empty when it is not).
    public static func libraryReasons(_ p: ProcessPath) -> [String] {
        var reasons = goneReasons(p)
        if p.inTempDir { reasons.append("temp-dir") }
        if p.inDotDir { reasons.append("dot-dir") }
        if !p.memfd && !systemLibraryDirectories.contains(where: { p.path.hasPrefix($0) }) {
            reasons.append("unusual-dir")
        }
        return reasons
    }

    /// `deleted` and `memfd`: the mapped file is gone or never had a name.
    public static func goneReasons(_ p: ProcessPath) -> [String] {
        var reasons: [String] = []
        if p.deleted { reasons.append("deleted") }
        if p.memfd { reasons.append("memfd") }
        return reasons
    }

    /// Parses the text of `/proc/PID/maps`.
    public static func parse(_ bytes: [UInt8]) -> ProcessMaps {
        bytes.withUnsafeBufferPointer { parse($0) }
    }

    /// Parses the text of `/proc/PID/maps`, byte-level. Only executable
    /// mappings count (see `Builder`); other lines are skipped after their
    /// permissions field.
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> ProcessMaps {
        var builder = Builder()
        let space = UInt8(ascii: " ")
        var pos = bytes.startIndex
        let end = bytes.endIndex
        while pos < end {
            let lineStart = pos
            while pos < end && bytes[pos] != UInt8(ascii: "\n") { pos += 1 }
            let lineEnd = pos
            pos += 1
            // address perms offset dev inode [path]; the path may contain spaces.
            var fieldStarts: (Int, Int) = (0, 0)
            var fieldEnds: (Int, Int) = (0, 0)
            var fields = 0
            var i = lineStart
            while fields < 5 && i < lineEnd {
                while i < lineEnd && bytes[i] == space { i += 1 }
                let start = i
                while i < lineEnd && bytes[i] != space { i += 1 }
                if start < i {
                    if fields == 0 { fieldStarts.0 = start; fieldEnds.0 = i }
                    if fields == 1 {
                        fieldStarts.1 = start; fieldEnds.1 = i
                        // Not executable: nothing on this line counts.
                        if !bytes[start..<i].contains(UInt8(ascii: "x")) { break }
                    }
                    fields += 1
                }
            }
            guard fields == 5 else { continue }
            while i < lineEnd && bytes[i] == space { i += 1 }
            builder.addExecutable(
                address: UnsafeBufferPointer(rebasing: bytes[fieldStarts.0..<fieldEnds.0]),
                perms: UnsafeBufferPointer(rebasing: bytes[fieldStarts.1..<fieldEnds.1]),
                path: UnsafeBufferPointer(rebasing: bytes[i..<lineEnd]))
        }
        return builder.maps
    }

    /// Builds the facts from a process's executable mappings, one at a time in
    /// address order, whether they come from the maps text or from
    /// PROCMAP_QUERY. Only executable mappings count: a shared object is code
    /// the process can run, so a `.so` mapped only for reading is data, and
    /// the query then needs to fetch just the executable mappings (a few of
    /// a process's dozens).
    public struct Builder {
        /// Paths met without `memo` (a path's bytes decide its kind, so one set serves both kinds).
        private var seen = Set<[UInt8]>()
        /// Paths met through `memo`, by their memo id (a few per process:
        /// a list, then a set past `seenListLimit`).
        private var seenIDs: [Int] = []
        private var seenIDSet = Set<Int>()
        private static let seenListLimit = 32
        private let memo: MappedPathMemo?
        private var objects = 0
        private var suspicious: [Library] = []
        private var deletedExec: [Library] = []
        private var anon: [Mapping] = []
        private var anonCount = 0

        public init() { memo = nil }

        /// `memo`: the classification of paths met before (by this scan
        /// worker, in other processes); the facts are the same with or without.
        package init(memo: MappedPathMemo?) {
            self.memo = memo
        }

        /// One executable mapping: `address` as maps prints it (`start-end`),
        /// `perms` (`r-xp`), `path` as maps prints it (empty for anonymous memory).
        public mutating func addExecutable(
            address: UnsafeBufferPointer<UInt8>, perms: UnsafeBufferPointer<UInt8>, path: UnsafeBufferPointer<UInt8>
        ) {
            if path.isEmpty {
                addAnonymousExecutable(address: address, perms: perms)
            } else {
                addExecutableFile(path: path)
            }
        }

        /// An executable mapping with no file behind it.
        public mutating func addAnonymousExecutable(address: UnsafeBufferPointer<UInt8>, perms: UnsafeBufferPointer<UInt8>) {
            anonCount += 1
            if anon.count < anonymousListLimit {
                anon.append(
                    Mapping(address: String(decoding: address, as: UTF8.self), perms: String(decoding: perms, as: UTF8.self)))
            }
        }

        /// An executable mapping with a name (`path` not empty, as maps prints it).
        public mutating func addExecutableFile(path: UnsafeBufferPointer<UInt8>) {
            if path.first == UInt8(ascii: "[") { return }  // [vdso], [vsyscall], named anonymous memory
            let file: MappedFile
            let firstTime: Bool
            if let memo, let entry = memo.entry(for: path) {
                file = entry.file
                firstTime = file.kind != .neither && firstSight(entry.id)
            } else {
                file = MappedFile(path)
                firstTime = file.kind != .neither && seen.insert(Array(path)).inserted
            }
            guard firstTime else { return }
            switch file.kind {
            case .sharedObject:
                objects += 1
                if !file.reasons.isEmpty { suspicious.append(Library(path: file.path, reasons: file.reasons)) }
            case .goneExecutable:
                deletedExec.append(Library(path: file.path, reasons: file.reasons))
            case .neither:
                break
            }
        }

        /// True the first time this process meets the memo's path `id`.
        private mutating func firstSight(_ id: Int) -> Bool {
            guard seenIDSet.isEmpty else { return seenIDSet.insert(id).inserted }
            if seenIDs.contains(id) { return false }
            seenIDs.append(id)
            if seenIDs.count > Self.seenListLimit { seenIDSet = Set(seenIDs) }
            return true
        }

        public var maps: ProcessMaps {
            ProcessMaps(
                sharedObjects: objects, suspiciousLibraries: suspicious, anonymousExecutable: anon,
                anonymousExecutableCount: anonCount, deletedExecutable: deletedExec)
        }
    }

    /// The last non-empty component of the path (without the ` (deleted)`
    /// suffix) contains `.so`.
    static func isSharedObjectPath(_ path: UnsafeBufferPointer<UInt8>, deleted: Bool) -> Bool {
        let slash = UInt8(ascii: "/")
        var end = path.endIndex - (deleted ? " (deleted)".utf8.count : 0)
        while end > path.startIndex && path[end - 1] == slash { end -= 1 }
        var start = end
        while start > path.startIndex && path[start - 1] != slash { start -= 1 }
        guard end - start >= 3 else { return false }
        for k in start...(end - 3)
        where path[k] == UInt8(ascii: ".") && path[k + 1] == UInt8(ascii: "s") && path[k + 2] == UInt8(ascii: "o") {
            return true
        }
        return false
    }
}

/// Host CPU time against the sum of per-process time over one interval (B5, B6).
public struct CPUSample: Encodable, Sendable, Equatable {
    public var intervalSeconds: Double
    public var cpus: Int
    /// Busy ticks on all CPUs in /proc/stat (user+nice+system+irq+softirq+steal).
    public var hostBusyTicks: UInt64
    /// utime+stime gained by the processes present in both samples.
    public var processTicks: UInt64
    /// Busy time as a percentage of all CPUs' capacity over the interval.
    public var hostBusyPercent: Double
    public var processPercent: Double
    /// Host busy time not accounted for by any listed process, in percent of
    /// all CPUs; a large value hints at a hidden process (or a faked /proc/stat).
    /// Interrupt time and processes that exited during the interval also land here.
    public var unaccountedPercent: Double
    /// Processes present in both samples.
    public var processesSampled: Int

    public init(
        intervalSeconds: Double, cpus: Int, hostBusyTicks: UInt64, hostTotalTicks: UInt64, processTicks: UInt64,
        processesSampled: Int
    ) {
        self.intervalSeconds = intervalSeconds
        self.cpus = cpus
        self.hostBusyTicks = hostBusyTicks
        self.processTicks = processTicks
        let total = Double(max(hostTotalTicks, 1))
        self.hostBusyPercent = Self.round(Double(hostBusyTicks) / total * 100)
        self.processPercent = Self.round(Double(processTicks) / total * 100)
        self.unaccountedPercent = Self.round((Double(hostBusyTicks) - Double(processTicks)) / total * 100)
        self.processesSampled = processesSampled
    }

    static func round(_ v: Double) -> Double { (v * 100).rounded() / 100 }
}

/// Pids that answer signals but are missing from the `/proc` listing (B7).
public struct HiddenSweep: Encodable, Sendable, Equatable {
    /// `/proc/sys/kernel/pid_max` (or the override): pids 1 … pid_max − 1 were probed.
    public var pidMax: Int
    /// Pids for which `kill(pid, 0)` reported a live task (0 or EPERM).
    public var alive: Int
    /// Thread ids among them (Tgid ≠ pid), which /proc does not list.
    public var threads: Int
    /// Pids listed by getdents64 on /proc.
    public var listed: Int
    /// Still alive and still absent from a second listing.
    public var hidden: [HiddenPid]
    /// Candidates that turned out to be races (exited, or appeared in the second listing).
    public var raced: Int
    public var durationMs: Double

    public init(
        pidMax: Int, alive: Int, threads: Int, listed: Int, hidden: [HiddenPid], raced: Int, durationMs: Double
    ) {
        self.pidMax = pidMax
        self.alive = alive
        self.threads = threads
        self.listed = listed
        self.hidden = hidden
        self.raced = raced
        self.durationMs = durationMs
    }

    public struct HiddenPid: Encodable, Sendable, Equatable {
        public var pid: Int32
        /// Which probes saw it: `kill`, `getsid`, `getpgid`, `sched_getparam`, `stat-proc-path`.
        public var seenBy: [String]
        /// From `/proc/PID/stat` read by path, when that works.
        public var comm: String?
        public var ppid: Int32?
        public init(pid: Int32, seenBy: [String], comm: String?, ppid: Int32?) {
            self.pid = pid
            self.seenBy = seenBy
            self.comm = comm
            self.ppid = ppid
        }
    }
}

/// The fake-kernel-thread rule (B4), pure so the policy tests can reuse it.
package enum KernelThreadCheck {
    /// Name prefixes of real kernel threads (comm), as a miner would borrow them.
    static let namePrefixes = [
        "kworker", "kthreadd", "ksoftirqd", "kswapd", "bioset", "kauditd", "khugepaged", "kcompactd", "kdevtmpfs",
        "migration/", "rcu_", "rcuop", "rcuos", "watchdog/", "cpuhp/", "idle_inject/", "irq/", "jbd2/",
        "ksmd", "kblockd", "kintegrityd", "kthrotld", "kstrp", "writeback", "oom_reaper", "khungtaskd", "kpsmoused",
        "netns", "kaluad", "kmpath", "ipv6_addrconf", "scsi_eh", "scsi_tmf", "ext4-rsv", "xfsaild", "xfs-",
        "md", "edac-poller", "ecryptfs", "card0-crtc", "zswap", "ttm", "pool_workqueue", "krfcommd", "hwrng",
        "psimon", "kvm",
    ]

    /// Names matched exactly (the prefix list would catch too much).
    static let exactNames: Set<String> = ["md", "kvm", "netns"]

    static func nameLooksLikeKernelThread(comm: String, argv0: String?) -> Bool {
        if let a = argv0, a.count >= 3, a.hasPrefix("["), a.hasSuffix("]") { return true }
        if comm.count >= 3 && comm.hasPrefix("[") && comm.hasSuffix("]") { return true }
        for p in namePrefixes where comm.hasPrefix(p) {
            if exactNames.contains(p) { if comm == p { return true } else { continue } }
            return true
        }
        return false
    }

    /// Whether a process with a kernel-thread-like name is not a kernel thread, and why.
    package static func evaluate(
        pid: Int32, ppid: Int32, comm: String, argv0: String?, cmdlineLength: Int, hasExe: Bool, kthreadFlag: Bool
    ) -> (nameLike: Bool, reasons: [String]) {
        let nameLike = nameLooksLikeKernelThread(comm: comm, argv0: argv0)
        guard nameLike else { return (false, []) }
        var reasons: [String] = []
        if hasExe { reasons.append("has-exe") }
        // kthreadd is pid 2 with parent 0; every other kernel thread is its child.
        let kthreaddParent = ppid == 2 || (pid == 2 && ppid == 0)
        if !kthreaddParent { reasons.append("parent-not-kthreadd") }
        if !kthreadFlag { reasons.append("no-kthread-flag") }
        if cmdlineLength > 0 { reasons.append("has-cmdline") }
        return (true, reasons)
    }
}
