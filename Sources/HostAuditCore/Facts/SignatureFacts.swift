/// YARA signature matches (rules in `Policies/signatures/*.yar`) over process
/// executables, process memory and the files persistence points at. Matches
/// are facts; the policies (`miners` pack) decide their severity.
///
/// Paths policies read: `processes.list[].signatures.matches[].rule`,
/// `….tags`, `….where` (`file` or `memory`), `processes.signatures.rules`,
/// `persistence.signatures.matches[].rule`.
public struct SignatureMatch: Encodable, Sendable, Equatable {
    public var rule: String
    public var namespace: String
    public var tags: [String]
    /// `file` (the executable through /proc/PID/exe, or a persistence target) or `memory`.
    public var `where`: String
    /// The file scanned, or for memory the path of the mapping (empty for anonymous memory).
    public var path: String?
    /// Memory only: the mapping as `start-end perms` from /proc/PID/maps.
    public var region: String?
    /// Offset of the first matching string: in the file, or the virtual address in memory.
    public var offset: Int64?
    /// Identifier of the first matching string (`$stratum1`).
    public var string: String?
    /// Number of string matches of this rule in the scanned data.
    public var stringMatches: Int
    /// The rule's `meta: source`.
    public var source: String?

    public init(
        rule: String, namespace: String, tags: [String], where: String, path: String?, region: String?,
        offset: Int64?, string: String?, stringMatches: Int, source: String?
    ) {
        self.rule = rule
        self.namespace = namespace
        self.tags = tags
        self.where = `where`
        self.path = path
        self.region = region
        self.offset = offset
        self.string = string
        self.stringMatches = stringMatches
        self.source = source
    }
}

/// What was scanned for one process, and what matched.
public struct ProcessSignatures: Encodable, Sendable, Equatable {
    public var matches: [SignatureMatch]
    /// The executable was scanned (in this process's entry, or earlier for another process with the same file).
    public var fileScanned: Bool
    /// Why the executable was not scanned (`size-cap`, `unreadable: …`), else null.
    public var fileSkipped: String?
    /// SHA-256 of the executable as read through /proc/PID/exe (null when not read).
    public var fileSHA256: String?
    /// Why the memory is scanned: the cheap checks that made it a candidate
    /// (`deleted-exe`, `memfd-exe`, `temp-exe`, `dot-dir-exe`, `fake-kernel-thread`,
    /// `sustained-cpu`, `pool-port`, `preload`, `exe-comm-mismatch`) or `deep`; empty when it is not.
    public var candidateReasons: [String]
    public var memoryScanned: Bool
    /// Bytes of memory read and scanned.
    public var memoryBytes: Int
    /// The per-process or total memory budget cut the scan short.
    public var memoryTruncated: Bool
    public var errors: [String]

    public init(
        matches: [SignatureMatch] = [], fileScanned: Bool = false, fileSkipped: String? = nil, fileSHA256: String? = nil,
        candidateReasons: [String] = [], memoryScanned: Bool = false, memoryBytes: Int = 0,
        memoryTruncated: Bool = false, errors: [String] = []
    ) {
        self.matches = matches
        self.fileScanned = fileScanned
        self.fileSkipped = fileSkipped
        self.fileSHA256 = fileSHA256
        self.candidateReasons = candidateReasons
        self.memoryScanned = memoryScanned
        self.memoryBytes = memoryBytes
        self.memoryTruncated = memoryTruncated
        self.errors = errors
    }
}

/// The signature pass as a whole.
public struct SignatureScanSummary: Encodable, Sendable, Equatable {
    /// False when no rules could be loaded (then no process carries `signatures`).
    public var available: Bool
    public var unavailableReason: String?
    /// The rule files compiled, in order.
    public var ruleFiles: [String]
    /// Names of every loaded rule (policy lint checks names against these).
    public var rules: [String]
    /// `--deep`: every process's memory, not just candidates'.
    public var deep: Bool
    /// Distinct executables scanned, by (device, inode, mtime).
    public var filesScanned: Int
    public var filesSkipped: Int
    public var processesMemoryScanned: Int
    public var memoryBytes: Int
    public var perProcessMemoryBudget: Int
    public var totalMemoryBudget: Int
    public var fileSizeCap: Int
    public var durationMs: Double
    public var errors: [String]

    public init(
        available: Bool, unavailableReason: String? = nil, ruleFiles: [String] = [], rules: [String] = [],
        deep: Bool = false, filesScanned: Int = 0, filesSkipped: Int = 0, processesMemoryScanned: Int = 0,
        memoryBytes: Int = 0, perProcessMemoryBudget: Int = 0, totalMemoryBudget: Int = 0, fileSizeCap: Int = 0,
        durationMs: Double = 0, errors: [String] = []
    ) {
        self.available = available
        self.unavailableReason = unavailableReason
        self.ruleFiles = ruleFiles
        self.rules = rules
        self.deep = deep
        self.filesScanned = filesScanned
        self.filesSkipped = filesSkipped
        self.processesMemoryScanned = processesMemoryScanned
        self.memoryBytes = memoryBytes
        self.perProcessMemoryBudget = perProcessMemoryBudget
        self.totalMemoryBudget = totalMemoryBudget
        self.fileSizeCap = fileSizeCap
        self.durationMs = durationMs
        self.errors = errors
    }
}

/// The cheap checks that make a process's memory worth a signature scan.
package enum SignatureCandidate {
    /// The ports of the policies' `pool-ports` lists (the miners pack names
    /// mining-pool ports there): connections to them make candidates.
    package static func poolPorts(_ policies: [Policy]) -> Set<Int> {
        var ports = Set<Int>()
        for policy in policies {
            for v in policy.lists["pool-ports"]?.values ?? [] {
                if let i = v.intValue, (1...65535).contains(i) { ports.insert(Int(i)) }
            }
        }
        return ports
    }

    /// Per-process CPU (percent of one CPU over the sample) counted as sustained.
    static let cpuThreshold = 80.0

    /// `poolConnection`: the process has a socket connected to a pool port
    /// (`SignatureScanOptions.poolPorts`).
    package static func reasons(_ p: ProcessFact, poolConnection: Bool = false) -> [String] {
        var r: [String] = []
        if let exe = p.exe {
            if exe.deleted { r.append("deleted-exe") }
            if exe.memfd { r.append("memfd-exe") }
            if exe.inTempDir { r.append("temp-exe") }
            if exe.inDotDir { r.append("dot-dir-exe") }
        }
        if p.fakeKernelThread && !p.kernelThread { r.append("fake-kernel-thread") }
        if let pct = p.cpu.percent, pct >= cpuThreshold { r.append("sustained-cpu") }
        if poolConnection { r.append("pool-port") }
        let preloadEnv = p.environ?.variables.contains { $0.name == "LD_PRELOAD" && !$0.value.isEmpty } ?? false
        if preloadEnv || !(p.maps?.suspiciousLibraries.isEmpty ?? true) { r.append("preload") }
        if let exe = p.exe, !exe.memfd, !p.comm.isEmpty, !p.kernelThread {
            let base = exe.path.split(separator: "/").last.map(String.init) ?? exe.path
            // comm is the exe's basename cut to 15 bytes unless someone renamed it.
            if !base.utf8.starts(with: p.comm.utf8.prefix(15)) || p.comm.utf8.count > base.utf8.count {
                r.append("exe-comm-mismatch")
            }
        }
        return r
    }
}

/// A rule that matched a file persistence points at (`persistence.signatures.matches[]`).
public struct PersistenceSignatureMatch: Encodable, Sendable, Equatable {
    public var rule: String
    public var namespace: String
    public var tags: [String]
    /// The file scanned (host path below `--root`, after links inside it were resolved).
    public var path: String
    /// Offset of the first matching string in the file.
    public var offset: Int64?
    /// Identifier of the first matching string.
    public var string: String?
    public var stringMatches: Int
    public var source: String?
    /// SHA-256 of the bytes scanned.
    public var sha256: String
    /// What points at the file: `cron`, `systemd`, `ld-so-preload`, `rc`.
    public var areas: [String]
    /// Where it is named (`/etc/cron.d/x:3`, a unit file, `/etc/ld.so.preload:1`).
    public var referencedBy: [String]

    public init(
        rule: String, namespace: String, tags: [String], path: String, offset: Int64?, string: String?, stringMatches: Int,
        source: String?, sha256: String, areas: [String], referencedBy: [String]
    ) {
        self.rule = rule
        self.namespace = namespace
        self.tags = tags
        self.path = path
        self.offset = offset
        self.string = string
        self.stringMatches = stringMatches
        self.source = source
        self.sha256 = sha256
        self.areas = areas
        self.referencedBy = referencedBy
    }
}

/// One file persistence points at, and what its scan found (`persistence.signatures.targets[]`).
public struct PersistenceSignatureTarget: Encodable, Sendable, Equatable {
    /// The path as persistence names it.
    public var path: String
    /// The host path read (links resolved inside `--root`), null when it could not be resolved.
    public var resolvedPath: String?
    public var areas: [String]
    public var referencedBy: [String]
    public var scanned: Bool
    /// Why not: `absent`, `size-cap (N bytes)`, `not a regular file (fifo)`, `unreadable: …`, `same file as …`.
    public var skipped: String?
    public var size: Int64?
    /// SHA-256 of the bytes scanned, computed only for a file a rule matched (else null).
    public var sha256: String?
    public var matches: Int

    public init(
        path: String, resolvedPath: String?, areas: [String], referencedBy: [String], scanned: Bool, skipped: String?,
        size: Int64?, sha256: String?, matches: Int
    ) {
        self.path = path
        self.resolvedPath = resolvedPath
        self.areas = areas
        self.referencedBy = referencedBy
        self.scanned = scanned
        self.skipped = skipped
        self.size = size
        self.sha256 = sha256
        self.matches = matches
    }
}

/// The signature pass over the files persistence points at (`persistence.signatures`).
public struct PersistenceSignatures: Encodable, Sendable, Equatable {
    /// False when no rules could be loaded.
    public var available: Bool
    public var unavailableReason: String?
    public var rules: [String]
    public var matches: [PersistenceSignatureMatch]
    public var targets: [PersistenceSignatureTarget]
    /// Distinct files scanned.
    public var filesScanned: Int
    public var filesSkipped: Int
    public var fileSizeCap: Int
    public var errors: [String]

    public init(
        available: Bool, unavailableReason: String? = nil, rules: [String] = [], matches: [PersistenceSignatureMatch] = [],
        targets: [PersistenceSignatureTarget] = [], filesScanned: Int = 0, filesSkipped: Int = 0, fileSizeCap: Int = 0,
        errors: [String] = []
    ) {
        self.available = available
        self.unavailableReason = unavailableReason
        self.rules = rules
        self.matches = matches
        self.targets = targets
        self.filesScanned = filesScanned
        self.filesSkipped = filesSkipped
        self.fileSizeCap = fileSizeCap
        self.errors = errors
    }
}
