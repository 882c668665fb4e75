/// The `persistence` section of `hostaudit facts`: file-based signs of how an
/// intruder stays on a host (docs/miners.md §4 B11–B17, B20 and §5).
///
/// Every indicator found anywhere below is also listed, flat, in `indicators`
/// (`persistence.indicators[].indicator`), each with the host path and line it
/// came from; the detailed sections hold the raw facts policies can match on
/// (`persistence.cron.files[].entries[].command`,
/// `persistence.authorized_keys[].keys[].fingerprint`, …). All of it honours
/// `--root`; only `kernel.*.runtime` and `cloud_agents.*.running` need the live host.
public struct PersistenceFacts: Encodable, Sendable, Equatable {
    /// False with `--root`: runtime kernel values and running processes were not read.
    public var live: Bool
    public var indicators: [PersistenceIndicator]
    public var ldSoPreload: PersistenceFile<LdSoPreload>
    public var kernel: KernelTunables
    public var cron: CronFacts
    public var systemd: SystemdFacts
    public var authorizedKeys: [PersistenceFile<AuthorizedKeysFile>]
    /// Immutable / append-only flags on sensitive files (only files that exist or could not be read).
    public var fileAttributes: [FileStatus]
    public var hosts: PersistenceFile<HostsDomains>
    public var cloudAgents: CloudAgents
    /// YARA over the files persistence points at; null when not scanned (`facts` without
    /// --signatures/--deep/--evidence, or --no-signatures).
    public var signatures: PersistenceSignatures? = nil

    public init(
        live: Bool, indicators: [PersistenceIndicator], ldSoPreload: PersistenceFile<LdSoPreload>,
        kernel: KernelTunables, cron: CronFacts, systemd: SystemdFacts,
        authorizedKeys: [PersistenceFile<AuthorizedKeysFile>], fileAttributes: [FileStatus],
        hosts: PersistenceFile<HostsDomains>, cloudAgents: CloudAgents
    ) {
        self.live = live
        self.indicators = indicators
        self.ldSoPreload = ldSoPreload
        self.kernel = kernel
        self.cron = cron
        self.systemd = systemd
        self.authorizedKeys = authorizedKeys
        self.fileAttributes = fileAttributes
        self.hosts = hosts
        self.cloudAgents = cloudAgents
    }
}

/// One finding in `persistence.indicators`.
public struct PersistenceIndicator: Encodable, Sendable, Equatable {
    /// `ld-so-preload`, `kernel`, `cron`, `systemd`, `file-attributes`, `hosts`, `cloud-agent`, `signatures`.
    public var area: String
    /// What matched: a `CommandIndicator` name for cron and systemd, else e.g.
    /// `preload-entry`, `hugepages`, `msr-allow-writes`, `msr-module-loaded`,
    /// `msr-autoload`, `nmi-watchdog-off`, `immutable`, `append-only`,
    /// `pool-domain`, `security-vendor-domain`, `agent-not-running`,
    /// `known-miner-unit-name`, `unit-file-in-temp`, `unit-file-in-dot-dir`, `signature-match` (area
    /// `signatures`: a YARA rule matched a file persistence points at; `match` is the rule).
    public var indicator: String
    /// Host path of the file, or the runtime path (`/proc/sys/vm/nr_hugepages`).
    public var path: String
    public var line: Int?
    public var match: String?
    public var detail: String

    public init(area: String, indicator: String, path: String, line: Int?, match: String?, detail: String) {
        self.area = area
        self.indicator = indicator
        self.path = path
        self.line = line
        self.match = match
        self.detail = detail
    }
}

/// What hostaudit knows about one host file, before its content.
public struct FileStatus: Encodable, Sendable, Equatable {
    public var path: String
    public var present: Bool
    /// Why it could not be read (null when it was, or when it is simply absent).
    public var error: String?
    public var mtimeMs: Int64?
    public var size: Int64?
    public var truncated: Bool
    /// `chattr +i` / `+a`; null when not read (see `attributes_error`).
    public var immutable: Bool?
    public var appendOnly: Bool?
    public var attributesError: String?

    public init(
        path: String, present: Bool = false, error: String? = nil, mtimeMs: Int64? = nil, size: Int64? = nil,
        truncated: Bool = false, immutable: Bool? = nil, appendOnly: Bool? = nil, attributesError: String? = nil
    ) {
        self.path = path
        self.present = present
        self.error = error
        self.mtimeMs = mtimeMs
        self.size = size
        self.truncated = truncated
        self.immutable = immutable
        self.appendOnly = appendOnly
        self.attributesError = attributesError
    }
}

/// A file's status followed by its parsed content, encoded as one flat object.
@dynamicMemberLookup
public struct PersistenceFile<Content: Encodable & Sendable & Equatable>: Encodable, Sendable, Equatable {
    public var status: FileStatus
    public var content: Content

    public init(status: FileStatus, content: Content) {
        self.status = status
        self.content = content
    }

    public subscript<T>(dynamicMember key: KeyPath<Content, T>) -> T { content[keyPath: key] }

    public func encode(to encoder: any Encoder) throws {
        try status.encode(to: encoder)
        try content.encode(to: encoder)
    }
}

// MARK: - ld.so.preload

public struct LdSoPreload: Encodable, Sendable, Equatable {
    public var entries: [Entry]

    public init(entries: [Entry] = []) { self.entries = entries }

    public struct Entry: Encodable, Sendable, Equatable {
        public var line: Int
        public var library: String
        /// Whether the library exists below the root (null for a bare name ld.so looks up itself).
        public var exists: Bool?
        /// The host path found for a bare name in the usual library directories.
        public var foundAt: String?

        public init(line: Int, library: String, exists: Bool?, foundAt: String?) {
            self.line = line
            self.library = library
            self.exists = exists
            self.foundAt = foundAt
        }
    }
}

// MARK: - Kernel tunables

/// A tunable's value and where it came from.
public struct TunableValue: Encodable, Sendable, Equatable {
    public var value: String
    /// `path:line` for configuration, the runtime path for live values.
    public var source: String
    public var path: String
    public var line: Int?
    public var runtime: Bool

    public init(value: String, path: String, line: Int?, runtime: Bool) {
        self.value = value
        self.source = line.map { "\(path):\($0)" } ?? path
        self.path = path
        self.line = line
        self.runtime = runtime
    }
}

public struct Tunable: Encodable, Sendable, Equatable {
    public var name: String
    /// The running kernel's value (live host only; null with `--root` or when unreadable).
    public var runtime: TunableValue?
    /// Every assignment in configuration, in the order they are applied (the last wins).
    public var configured: [TunableValue]
    /// The assignment that wins at boot (the last of `configured`).
    public var configuredEffective: TunableValue?

    public init(name: String, runtime: TunableValue? = nil, configured: [TunableValue] = []) {
        self.name = name
        self.runtime = runtime
        self.configured = configured
        self.configuredEffective = configured.last
    }
}

public struct KernelTunables: Encodable, Sendable, Equatable {
    public var runtimeRead: Bool
    public var runtimeUnavailableReason: String?
    /// `vm.nr_hugepages`.
    public var nrHugepages: Tunable
    /// `/sys/kernel/mm/hugepages/hugepages-<size>/nr_hugepages` (live only), one per page size.
    public var hugepagePools: [TunableValue]
    /// `kernel.nmi_watchdog`.
    public var nmiWatchdog: Tunable
    public var msr: Msr
    /// sysctl.d, modprobe.d and modules-load.d files read, in order.
    public var files: [String]
    public var problems: [FileProblem]

    public init(
        runtimeRead: Bool, runtimeUnavailableReason: String?, nrHugepages: Tunable, hugepagePools: [TunableValue],
        nmiWatchdog: Tunable, msr: Msr, files: [String], problems: [FileProblem]
    ) {
        self.runtimeRead = runtimeRead
        self.runtimeUnavailableReason = runtimeUnavailableReason
        self.nrHugepages = nrHugepages
        self.hugepagePools = hugepagePools
        self.nmiWatchdog = nmiWatchdog
        self.msr = msr
        self.files = files
        self.problems = problems
    }

    public struct Msr: Encodable, Sendable, Equatable {
        /// `/sys/module/msr` exists (live only).
        public var moduleLoaded: Bool?
        /// `allow_writes`: runtime from /sys/module/msr/parameters, configured from
        /// `options msr allow_writes=…` and `install msr … allow_writes=…`.
        public var allowWrites: Tunable
        /// modules-load.d and /etc/modules lines loading msr at boot.
        public var autoload: [TunableValue]
        /// Every modprobe.d directive about msr (`options`, `install`, `blacklist`…), value = the directive text.
        public var modprobe: [TunableValue]

        public init(moduleLoaded: Bool?, allowWrites: Tunable, autoload: [TunableValue], modprobe: [TunableValue]) {
            self.moduleLoaded = moduleLoaded
            self.allowWrites = allowWrites
            self.autoload = autoload
            self.modprobe = modprobe
        }
    }
}

// MARK: - Cron

public struct CronFacts: Encodable, Sendable, Equatable {
    public var files: [PersistenceFile<CronFile>]
    /// Cron directories that exist but could not be listed.
    public var unreadableDirectories: [FileProblem]

    public init(files: [PersistenceFile<CronFile>], unreadableDirectories: [FileProblem]) {
        self.files = files
        self.unreadableDirectories = unreadableDirectories
    }
}

public struct CronFile: Encodable, Sendable, Equatable {
    /// `system-crontab` (/etc/crontab, /etc/cron.d), `user-crontab` (spool),
    /// `anacrontab`, or `periodic-script` (/etc/cron.{hourly,daily,weekly,monthly}).
    public var kind: String
    /// For user crontabs, the user (the file's name).
    public var user: String?
    public var entries: [CronEntry]
    public var environment: [CronVariable]
    public var scriptLines: [ScriptLine]
    public var problems: [FileProblem]

    package init(kind: String, user: String?, table: CronTable) {
        self.kind = kind
        self.user = user
        self.entries = table.entries
        self.environment = table.environment
        self.scriptLines = table.scriptLines
        self.problems = table.problems
    }
}

// MARK: - systemd

public struct SystemdFacts: Encodable, Sendable, Equatable {
    public var units: [SystemdUnit]
    /// Symlinks in `*.wants/`, `*.requires/`, `*.upholds/` directories (what is enabled).
    public var enablementLinks: [EnablementLink]
    public var unreadableDirectories: [FileProblem]

    public init(units: [SystemdUnit], enablementLinks: [EnablementLink], unreadableDirectories: [FileProblem]) {
        self.units = units
        self.enablementLinks = enablementLinks
        self.unreadableDirectories = unreadableDirectories
    }

    public struct EnablementLink: Encodable, Sendable, Equatable {
        /// The link, e.g. `/etc/systemd/system/multi-user.target.wants/x.service`.
        public var path: String
        public var target: String
        /// The unit it enables (the link's name).
        public var unit: String
        /// `multi-user.target` from `multi-user.target.wants`.
        public var wantedBy: String

        public init(path: String, target: String, unit: String, wantedBy: String) {
            self.path = path
            self.target = target
            self.unit = unit
            self.wantedBy = wantedBy
        }
    }
}

public struct SystemdUnit: Encodable, Sendable, Equatable {
    public var name: String
    public var path: String
    /// `system` or `user`.
    public var scope: String
    /// For units below a home directory: the account.
    public var user: String?
    /// A drop-in (`x.service.d/*.conf`) for `name`.
    public var dropIn: Bool
    /// For a unit that is a symbolic link: its target (`/dev/null` = masked).
    public var linkTarget: String?
    public var masked: Bool
    /// The file read after following links (differs from `path` for aliases and links from wants/).
    public var resolvedPath: String?
    public var mtimeMs: Int64?
    public var enabled: Bool
    public var enabledBy: [String]
    public var description: String?
    public var execs: [UnitExec]
    public var indicators: [CommandIndicator]
    public var error: String?
    public var problems: [FileProblem]

    public init(
        name: String, path: String, scope: String, user: String?, dropIn: Bool, linkTarget: String?, masked: Bool,
        resolvedPath: String?, mtimeMs: Int64?, enabled: Bool, enabledBy: [String], description: String?,
        execs: [UnitExec], indicators: [CommandIndicator], error: String?, problems: [FileProblem]
    ) {
        self.name = name
        self.path = path
        self.scope = scope
        self.user = user
        self.dropIn = dropIn
        self.linkTarget = linkTarget
        self.masked = masked
        self.resolvedPath = resolvedPath
        self.mtimeMs = mtimeMs
        self.enabled = enabled
        self.enabledBy = enabledBy
        self.description = description
        self.execs = execs
        self.indicators = indicators
        self.error = error
        self.problems = problems
    }
}

// MARK: - authorized_keys

public struct AuthorizedKeysFile: Encodable, Sendable, Equatable {
    /// The accounts whose home holds this file (several when homes are shared).
    public var users: [String]
    public var keys: [AuthorizedKey]
    public var problems: [FileProblem]

    public init(users: [String], keys: [AuthorizedKey], problems: [FileProblem]) {
        self.users = users
        self.keys = keys
        self.problems = problems
    }
}

// MARK: - /etc/hosts

public struct HostsDomains: Encodable, Sendable, Equatable {
    /// Host names in /etc/hosts that fall under a pool or security-vendor suffix.
    public var matches: [Match]
    public var problems: [FileProblem]

    public init(matches: [Match] = [], problems: [FileProblem] = []) {
        self.matches = matches
        self.problems = problems
    }

    public struct Match: Encodable, Sendable, Equatable {
        public var line: Int
        public var address: String
        public var name: String
        public var suffix: String
        /// `pool` or `security-vendor`.
        public var list: String
        /// `loopback`, `unspecified` (0.0.0.0, ::) — a block — or `other` — a redirect.
        public var pointsTo: String

        public init(line: Int, address: String, name: String, suffix: String, list: String, pointsTo: String) {
            self.line = line
            self.address = address
            self.name = name
            self.suffix = suffix
            self.list = list
            self.pointsTo = pointsTo
        }
    }

    /// Matches every name of every entry against the lists.
    public static func match(_ hosts: HostsFile, lists: PersistenceDomainLists = .default) -> [Match] {
        var out: [Match] = []
        for e in hosts.entries {
            let pointsTo: String
            if e.address.hasPrefix("127.") || e.address == "::1" {
                pointsTo = "loopback"
            } else if e.address == "0.0.0.0" || e.address == "::" {
                pointsTo = "unspecified"
            } else {
                pointsTo = "other"
            }
            for name in [e.canonicalName] + e.aliases {
                if let (suffix, list) = lists.match(name) {
                    out.append(Match(line: e.line, address: e.address, name: name, suffix: suffix, list: list, pointsTo: pointsTo))
                }
            }
        }
        return out
    }
}

// MARK: - Cloud security agents

public struct CloudAgents: Encodable, Sendable, Equatable {
    /// Whether /proc was scanned (live host only).
    public var processScan: ProcessScan
    public var agents: [Agent]

    public init(processScan: ProcessScan, agents: [Agent]) {
        self.processScan = processScan
        self.agents = agents
    }

    public struct ProcessScan: Encodable, Sendable, Equatable {
        public var performed: Bool
        public var reason: String?
        public var processes: Int?
        /// Processes whose comm could not be read (exited mid-scan or not permitted).
        public var unreadable: Int?

        public init(performed: Bool, reason: String?, processes: Int?, unreadable: Int?) {
            self.performed = performed
            self.reason = reason
            self.processes = processes
            self.unreadable = unreadable
        }
    }

    public struct Agent: Encodable, Sendable, Equatable {
        public var id: String
        public var vendor: String
        public var product: String
        public var installed: Bool
        /// The install paths and unit files found.
        public var evidence: [String]
        public var expectedProcesses: [String]
        /// Null with `--root` or when /proc could not be scanned.
        public var running: Bool?
        public var processes: [RunningProcess]

        public init(
            id: String, vendor: String, product: String, installed: Bool, evidence: [String],
            expectedProcesses: [String], running: Bool?, processes: [RunningProcess]
        ) {
            self.id = id
            self.vendor = vendor
            self.product = product
            self.installed = installed
            self.evidence = evidence
            self.expectedProcesses = expectedProcesses
            self.running = running
            self.processes = processes
        }
    }

    public struct RunningProcess: Encodable, Sendable, Equatable {
        public var pid: Int
        public var comm: String
        public var exe: String?

        public init(pid: Int, comm: String, exe: String?) {
            self.pid = pid
            self.comm = comm
            self.exe = exe
        }
    }
}
