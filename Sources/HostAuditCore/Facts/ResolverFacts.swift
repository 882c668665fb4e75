/// The `resolver` section of `hostaudit facts`: how this host resolves names.
///
/// Read by the policy engine by path, e.g. `resolver.resolv_conf.nameservers[].address`,
/// `resolver.effective_nameservers[].address`, `resolver.nsswitch.hosts.sources[].name`.
/// Every element taken from a file carries its 1-based `line`.
public struct ResolverFacts: Encodable, Sendable, Equatable {
    /// `/etc/resolv.conf`, parsed with glibc's rules (resolv/res_init.c).
    public var resolvConf: ResolvConfFacts
    /// systemd-resolved's upstream list (`/run/systemd/resolve/resolv.conf`), read
    /// only when resolv.conf points glibc at the stub (127.0.0.53/54); else null.
    public var upstreamResolvConf: ResolvConfFacts?
    /// The name servers queries finally go to: resolv.conf's used servers, or
    /// systemd-resolved's upstreams when the stub is in use, or glibc's default.
    public var effectiveNameservers: [EffectiveNameserver]
    /// `resolv-conf`, `systemd-resolved-upstreams` or `glibc-default`.
    public var effectiveNameserversSource: String
    public var effectiveNameserversNote: String
    /// `/etc/nsswitch.conf` (only the `hosts:` database).
    public var nsswitch: NSSwitchFacts
    /// `/etc/hosts`.
    public var hosts: HostsFileFacts

    public init(
        resolvConf: ResolvConfFacts, upstreamResolvConf: ResolvConfFacts?,
        effectiveNameservers: [EffectiveNameserver], effectiveNameserversSource: String,
        effectiveNameserversNote: String, nsswitch: NSSwitchFacts, hosts: HostsFileFacts
    ) {
        self.resolvConf = resolvConf
        self.upstreamResolvConf = upstreamResolvConf
        self.effectiveNameservers = effectiveNameservers
        self.effectiveNameserversSource = effectiveNameserversSource
        self.effectiveNameserversNote = effectiveNameserversNote
        self.nsswitch = nsswitch
        self.hosts = hosts
    }

    public struct EffectiveNameserver: Encodable, Sendable, Equatable {
        public var address: String
        public var family: String
        public var scope: String?

        /// The address to send queries to: with its IPv6 zone (`fe80::1%eth0`) when it has one.
        public var queryAddress: String { scope.map { "\(address)%\($0)" } ?? address }
        /// The file it was read from (null for glibc's built-in default).
        public var path: String?
        public var line: Int?

        public init(address: String, family: String, scope: String?, path: String?, line: Int?) {
            self.address = address
            self.family = family
            self.scope = scope
            self.path = path
            self.line = line
        }
    }

    /// Works out `effective_nameservers` from resolv.conf and, when the stub is
    /// in use, systemd-resolved's upstream file. Pure: the collector calls it.
    public static func effective(resolvConf: ResolvConfFacts, upstream: ResolvConfFacts?)
        -> (servers: [EffectiveNameserver], source: String, note: String)
    {
        func list(_ f: ResolvConfFacts) -> [EffectiveNameserver] {
            f.parsed.nameservers.filter(\.used).map {
                EffectiveNameserver(address: $0.address, family: $0.family, scope: $0.scope, path: f.path, line: $0.line)
            }
        }
        if let upstream, resolvConf.parsed.usesSystemdStub {
            if upstream.present && !upstream.parsed.nameservers.isEmpty {
                return (
                    list(upstream), "systemd-resolved-upstreams",
                    "glibc queries the systemd-resolved stub (\(resolvConf.parsed.stubAddresses.joined(separator: ", "))), "
                        + "which forwards to these upstream servers from \(upstream.path)"
                )
            }
            let why = upstream.present ? "lists no name servers" : "could not be read (\(upstream.error ?? "missing"))"
            return (
                list(resolvConf), "resolv-conf",
                "glibc queries the systemd-resolved stub; its upstream list \(upstream.path) \(why), so the upstreams are unknown"
            )
        }
        let used = list(resolvConf)
        if used.isEmpty {
            return (
                [EffectiveNameserver(address: "127.0.0.1", family: "ipv4", scope: nil, path: nil, line: nil)],
                "glibc-default",
                resolvConf.present
                    ? "resolv.conf has no usable nameserver line: glibc falls back to 127.0.0.1"
                    : "resolv.conf is absent or unreadable: glibc falls back to 127.0.0.1"
            )
        }
        return (used, "resolv-conf", "the first \(ResolvConf.maxNameservers) valid nameserver lines of \(resolvConf.path)")
    }
}

/// One resolv.conf-format file: where it is, who manages it, its attributes,
/// then its parsed content (encoded flat into the same object).
public struct ResolvConfFacts: Encodable, Sendable, Equatable {
    public var path: String
    public var present: Bool
    /// Why the file could not be read (null when it was).
    public var error: String?
    public var isSymlink: Bool
    /// The first link's raw target, as `readlink` shows it.
    public var symlinkTarget: String?
    /// Every link followed, in order (absolute targets resolved inside `--root`).
    public var symlinkChain: [SymlinkStep]
    /// The host path finally read after following links.
    public var resolvedPath: String?
    /// `systemd-resolved-stub`, `systemd-resolved`, `networkmanager`, `resolvconf`,
    /// `plain-file`, `other-symlink` or `unknown` (file not read).
    public var manager: String
    /// Why `manager` was chosen.
    public var managerEvidence: String
    public var mtimeMs: Int64?
    public var size: Int64?
    /// True when more than the read limit was present; only the first part was parsed.
    public var truncated: Bool
    /// `chattr +i` / `+a`; null when unknown (see `attributes_error`).
    public var immutable: Bool?
    public var appendOnly: Bool?
    public var attributesError: String?
    /// The parsed content; its fields are encoded directly into this object.
    public var parsed: ResolvConf

    public struct SymlinkStep: Encodable, Sendable, Equatable {
        public var path: String
        public var target: String
        public init(path: String, target: String) {
            self.path = path
            self.target = target
        }
    }

    public init(
        path: String, present: Bool = false, error: String? = nil, isSymlink: Bool = false,
        symlinkTarget: String? = nil, symlinkChain: [SymlinkStep] = [], resolvedPath: String? = nil,
        manager: String = "unknown", managerEvidence: String = "", mtimeMs: Int64? = nil, size: Int64? = nil,
        truncated: Bool = false, immutable: Bool? = nil, appendOnly: Bool? = nil, attributesError: String? = nil,
        parsed: ResolvConf = ResolvConf()
    ) {
        self.path = path
        self.present = present
        self.error = error
        self.isSymlink = isSymlink
        self.symlinkTarget = symlinkTarget
        self.symlinkChain = symlinkChain
        self.resolvedPath = resolvedPath
        self.manager = manager
        self.managerEvidence = managerEvidence
        self.mtimeMs = mtimeMs
        self.size = size
        self.truncated = truncated
        self.immutable = immutable
        self.appendOnly = appendOnly
        self.attributesError = attributesError
        self.parsed = parsed
    }

    enum CodingKeys: String, CodingKey {
        case path, present, error, isSymlink, symlinkTarget, symlinkChain, resolvedPath, manager, managerEvidence,
            mtimeMs, size, truncated, immutable, appendOnly, attributesError
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(path, forKey: .path)
        try c.encode(present, forKey: .present)
        try c.encodeIfPresent(error, forKey: .error)
        try c.encode(isSymlink, forKey: .isSymlink)
        try c.encodeIfPresent(symlinkTarget, forKey: .symlinkTarget)
        try c.encode(symlinkChain, forKey: .symlinkChain)
        try c.encodeIfPresent(resolvedPath, forKey: .resolvedPath)
        try c.encode(manager, forKey: .manager)
        try c.encode(managerEvidence, forKey: .managerEvidence)
        try c.encodeIfPresent(mtimeMs, forKey: .mtimeMs)
        try c.encodeIfPresent(size, forKey: .size)
        try c.encode(truncated, forKey: .truncated)
        try c.encodeIfPresent(immutable, forKey: .immutable)
        try c.encodeIfPresent(appendOnly, forKey: .appendOnly)
        try c.encodeIfPresent(attributesError, forKey: .attributesError)
        try parsed.encode(to: encoder)
    }
}

/// The content of a resolv.conf as glibc's stub resolver reads it.
public struct ResolvConf: Encodable, Sendable, Equatable {
    /// glibc's MAXNS: only this many name servers are ever queried.
    public static let maxNameservers = 3
    /// glibc < 2.26: MAXDNSRCH search domains, and the whole search line in a 256-byte buffer.
    public static let legacyMaxSearchDomains = 6
    public static let legacyMaxSearchChars = 255

    public var lineCount: Int
    /// The file contains NUL bytes (glibc stops each line at the first one).
    public var binary: Bool
    /// Valid nameserver lines in file order; `used` marks the first three.
    public var nameservers: [Nameserver]
    /// Valid addresses beyond the third, which glibc never queries.
    public var ignoredNameservers: [String]
    public var search: SearchList
    /// The last `domain` line, and whether it (rather than a `search` line) is in effect.
    public var domain: DomainDirective?
    public var options: Options
    public var sortlist: [SortlistEntry]
    public var comments: [Comment]
    public var problems: [FileProblem]

    public init(
        lineCount: Int = 0, binary: Bool = false, nameservers: [Nameserver] = [], ignoredNameservers: [String] = [],
        search: SearchList = SearchList(), domain: DomainDirective? = nil, options: Options = Options(),
        sortlist: [SortlistEntry] = [], comments: [Comment] = [], problems: [FileProblem] = []
    ) {
        self.lineCount = lineCount
        self.binary = binary
        self.nameservers = nameservers
        self.ignoredNameservers = ignoredNameservers
        self.search = search
        self.domain = domain
        self.options = options
        self.sortlist = sortlist
        self.comments = comments
        self.problems = problems
    }

    /// systemd-resolved's stub listeners: 127.0.0.53 (stub) and 127.0.0.54 (proxy).
    public static let systemdStubAddresses: Set<String> = ["127.0.0.53", "127.0.0.54"]

    /// The used name servers that are systemd-resolved stubs (by value, so `127.0.0.053` is not one but `127.0.0.53` is).
    public var stubAddresses: [String] {
        nameservers.filter { $0.used && $0.family == "ipv4" && Self.systemdStubAddresses.contains($0.ipv4Canonical ?? "") }
            .map(\.address)
    }

    public var usesSystemdStub: Bool { !stubAddresses.isEmpty }

    public struct Nameserver: Encodable, Sendable, Equatable {
        public var line: Int
        /// As written, without any `%scope`.
        public var address: String
        /// `ipv4` or `ipv6`.
        public var family: String
        /// The IPv6 zone after `%` (an interface name or number), else null.
        public var scope: String?
        /// Among the first three valid servers (glibc's MAXNS).
        public var used: Bool
        /// For IPv4, the dotted quad glibc reads (inet_aton accepts `0x7f.1`, `010.0.0.1`).
        public var ipv4Canonical: String?

        public init(line: Int, address: String, family: String, scope: String?, used: Bool, ipv4Canonical: String?) {
            self.line = line
            self.address = address
            self.family = family
            self.scope = scope
            self.used = used
            self.ipv4Canonical = ipv4Canonical
        }

        enum CodingKeys: String, CodingKey { case line, address, family, scope, used }
    }

    public struct SearchList: Encodable, Sendable, Equatable {
        /// The search list glibc uses (from the last `search` or `domain` line).
        public var domains: [String]
        /// `search`, `domain`, or null when neither appears (glibc then uses the
        /// domain part of the host name).
        public var from: String?
        public var line: Int?
        public var count: Int
        /// Domains glibc before 2.26 would drop (beyond 6, or past 255 characters
        /// of the search line). Newer glibc has no limit.
        public var droppedByGlibcBefore226: [String]
        public var note: String?

        public init(
            domains: [String] = [], from: String? = nil, line: Int? = nil, droppedByGlibcBefore226: [String] = [],
            note: String? = nil
        ) {
            self.domains = domains
            self.from = from
            self.line = line
            self.count = domains.count
            self.droppedByGlibcBefore226 = droppedByGlibcBefore226
            self.note = note
        }

        enum CodingKeys: String, CodingKey {
            case domains, from, line, count
            case droppedByGlibcBefore226 = "dropped_by_glibc_before_2_26"
            case note
        }
    }

    public struct DomainDirective: Encodable, Sendable, Equatable {
        public var value: String
        public var line: Int
        /// False when a later `search` line replaced it.
        public var effective: Bool

        public init(value: String, line: Int, effective: Bool) {
            self.value = value
            self.line = line
            self.effective = effective
        }
    }

    public struct Options: Encodable, Sendable, Equatable {
        public static let defaultNdots = 1, maxNdots = 15
        public static let defaultTimeout = 5, maxTimeout = 30
        public static let defaultAttempts = 2, maxAttempts = 5

        public var ndots = Options.defaultNdots
        public var ndotsDefault = true
        public var ndotsLine: Int?
        public var timeout = Options.defaultTimeout
        public var timeoutDefault = true
        public var timeoutLine: Int?
        public var attempts = Options.defaultAttempts
        public var attemptsDefault = true
        public var attemptsLine: Int?
        public var rotate = false
        public var edns0 = false
        public var singleRequest = false
        public var singleRequestReopen = false
        public var noTldQuery = false
        public var useVc = false
        public var noReload = false
        public var trustAd = false
        public var noAaaa = false
        public var strictError = false
        public var inet6 = false
        public var debug = false
        /// Every option word in file order.
        public var entries: [OptionEntry] = []
        /// Option words glibc does not recognise (and silently ignores).
        public var unknown: [String] = []

        public init() {}
    }

    public struct OptionEntry: Encodable, Sendable, Equatable {
        public var line: Int
        /// The word as written.
        public var text: String
        /// The option glibc takes it as (null when unknown).
        public var name: String?
        /// For ndots/timeout/attempts: the value glibc uses after capping.
        public var value: Int?
        /// E.g. the glibc version an option needs.
        public var note: String?

        public init(line: Int, text: String, name: String?, value: Int?, note: String? = nil) {
            self.line = line
            self.text = text
            self.name = name
            self.value = value
            self.note = note
        }
    }

    public struct SortlistEntry: Encodable, Sendable, Equatable {
        public var line: Int
        public var text: String
        /// The network, as a dotted quad.
        public var address: String
        /// The netmask glibc uses, as a dotted quad.
        public var mask: String
        /// `explicit`, or `classful` when glibc derived it from the address class.
        public var maskSource: String

        public init(line: Int, text: String, address: String, mask: String, maskSource: String) {
            self.line = line
            self.text = text
            self.address = address
            self.mask = mask
            self.maskSource = maskSource
        }
    }

    public struct Comment: Encodable, Sendable, Equatable {
        public var line: Int
        public var text: String

        public init(line: Int, text: String) {
            self.line = line
            self.text = text
        }
    }
}

/// `/etc/nsswitch.conf`, reduced to what name resolution needs.
public struct NSSwitchFacts: Encodable, Sendable, Equatable {
    public var path: String
    public var present: Bool
    public var error: String?
    /// The `hosts:` database as glibc uses it (the built-in default when no line exists).
    public var hosts: NSSwitchConf.Database?
    /// True when `hosts` is glibc's default because the file or its line is missing.
    public var hostsIsDefault: Bool
    public var problems: [FileProblem]

    public init(
        path: String, present: Bool, error: String?, hosts: NSSwitchConf.Database?, hostsIsDefault: Bool,
        problems: [FileProblem]
    ) {
        self.path = path
        self.present = present
        self.error = error
        self.hosts = hosts
        self.hostsIsDefault = hostsIsDefault
        self.problems = problems
    }
}

/// Parsed nsswitch.conf.
public struct NSSwitchConf: Sendable, Equatable {
    public var databases: [Database]
    public var problems: [FileProblem]

    public init(databases: [Database] = [], problems: [FileProblem] = []) {
        self.databases = databases
        self.problems = problems
    }

    /// The first line for `name` (glibc ignores later duplicates).
    public func database(_ name: String) -> Database? { databases.first { $0.name == name } }

    public struct Database: Encodable, Sendable, Equatable {
        public var name: String
        /// Null for glibc's built-in default.
        public var line: Int?
        public var sources: [Source]

        public init(name: String, line: Int?, sources: [Source]) {
            self.name = name
            self.line = line
            self.sources = sources
        }
    }

    public struct Source: Encodable, Sendable, Equatable {
        public var name: String
        /// `[STATUS=action]` items following this source, in order.
        public var criteria: [Criterion]

        public init(name: String, criteria: [Criterion]) {
            self.name = name
            self.criteria = criteria
        }
    }

    public struct Criterion: Encodable, Sendable, Equatable {
        /// `[!STATUS=action]`.
        public var negated: Bool
        /// `SUCCESS`, `NOTFOUND`, `UNAVAIL` or `TRYAGAIN` (upper-cased).
        public var status: String
        /// `return`, `continue` or `merge` (lower-cased).
        public var action: String

        public init(negated: Bool, status: String, action: String) {
            self.negated = negated
            self.status = status
            self.action = action
        }
    }
}

/// `/etc/hosts`.
public struct HostsFileFacts: Encodable, Sendable, Equatable {
    public var path: String
    public var present: Bool
    public var error: String?
    public var truncated: Bool
    public var entries: [HostsFile.Entry]
    public var problems: [FileProblem]

    public init(
        path: String, present: Bool, error: String?, truncated: Bool, entries: [HostsFile.Entry],
        problems: [FileProblem]
    ) {
        self.path = path
        self.present = present
        self.error = error
        self.truncated = truncated
        self.entries = entries
        self.problems = problems
    }
}

/// Parsed hosts file.
public struct HostsFile: Sendable, Equatable {
    public var entries: [Entry]
    public var problems: [FileProblem]

    public init(entries: [Entry] = [], problems: [FileProblem] = []) {
        self.entries = entries
        self.problems = problems
    }

    public struct Entry: Encodable, Sendable, Equatable {
        public var line: Int
        public var address: String
        /// `ipv4` or `ipv6`.
        public var family: String
        public var canonicalName: String
        public var aliases: [String]

        public init(line: Int, address: String, family: String, canonicalName: String, aliases: [String]) {
            self.line = line
            self.address = address
            self.family = family
            self.canonicalName = canonicalName
            self.aliases = aliases
        }
    }
}
