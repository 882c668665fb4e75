/// The `kernel.sysctl` section of `hostaudit facts`: the network kernel
/// parameters a pre-deployment review asks about — their live values under
/// `/proc/sys/net` (per interface where the kernel keeps them per
/// interface), the value the kernel acts on for each interface (`all` and the
/// interface's own value combined as the kernel combines them), the values
/// the sysctl configuration files set (systemd-sysctl's order, with
/// file:line), and the drift between configured and live values.
///
/// Paths policies read: `kernel.sysctl.settings[].key`, `.live`, `.configured`,
/// `.drift`; `kernel.sysctl.effective[].interface`, `.family`, `.name`,
/// `.effective`; `kernel.sysctl.drift[]`. Semantics: docs/network-sysctls.md.
public struct SysctlFacts: Encodable, Sendable, Equatable {
    /// False with `--root` (the image's kernel is not running) or when /proc/sys/net could not be read.
    public var liveAvailable: Bool
    public var liveUnavailableReason: String?
    /// Configuration files read, in the order they apply.
    public var files: [String]
    public var problems: [FileProblem]
    /// One entry per tracked parameter (global, `all`, `default`, each interface), sorted by key.
    public var settings: [Setting]
    /// Per interface and per-interface parameter: the value the kernel acts on.
    public var effective: [Effective]
    /// Configured values that differ from the live ones; nil when the live values were not read.
    public var drift: [Drift]?
    public var errors: [String]

    public init(
        liveAvailable: Bool, liveUnavailableReason: String?, files: [String], problems: [FileProblem],
        settings: [Setting], effective: [Effective], drift: [Drift]?, errors: [String]
    ) {
        self.liveAvailable = liveAvailable
        self.liveUnavailableReason = liveUnavailableReason
        self.files = files
        self.problems = problems
        self.settings = settings
        self.effective = effective
        self.drift = drift
        self.errors = errors
    }

    /// Where a configured value was set.
    public struct Assignment: Encodable, Sendable, Equatable {
        /// The value written; nil for a `-key` line (excluded from globs, nothing set).
        public var value: String?
        public var path: String
        public var line: Int
        /// The glob pattern of the line, when it was one (`net.ipv4.conf.*.rp_filter`).
        public var pattern: String?
    }

    public struct Setting: Encodable, Sendable, Equatable {
        /// sysctl's dotted name; a `.` inside an interface name is written `/` (`net.ipv4.conf.eth0/100.rp_filter`).
        public var key: String
        public var family: String
        /// `all`, `default`, an interface name, or nil for a global parameter.
        public var interface: String?
        /// The parameter (`rp_filter`, `ip_forward`, …).
        public var name: String
        /// The value in /proc/sys (whitespace collapsed); nil when not read.
        public var live: String?
        /// Why the live value is missing, when it was looked for.
        public var liveError: String?
        /// The value the configuration sets at boot; nil when no file sets it.
        public var configured: String?
        /// `explicit` (a line naming this key), `glob` (a pattern matching it),
        /// `excluded` (a `-key` line keeps the globs off it), or nil.
        public var source: String?
        /// The line that decides the configured value (for `excluded`, the `-key` line).
        public var configuredAt: Assignment?
        /// A leading `-`: a failure to apply it is ignored at boot.
        public var ignoreFailure: Bool?
        /// Earlier assignments the deciding one overrides.
        public var overridden: [Assignment]
        /// Configured and live differ; nil when either is unknown.
        public var drift: Bool?
    }

    public struct Effective: Encodable, Sendable, Equatable {
        public var interface: String
        public var family: String
        public var name: String
        /// The interface's own value (`conf/IFACE/NAME`).
        public var own: String?
        /// `conf/all/NAME`.
        public var all: String?
        /// The interface's `forwarding`, for the parameters whose meaning depends on it.
        public var forwarding: String?
        /// The value the kernel acts on; nil when an input is unknown.
        public var effective: String?
        /// How it is derived, e.g. `max(all, interface)`.
        public var rule: String
    }

    public struct Drift: Encodable, Sendable, Equatable {
        public var key: String
        public var configured: String
        public var live: String
        public var path: String
        public var line: Int
        public var message: String
    }

    public static func unavailable(_ reason: String) -> SysctlFacts {
        SysctlFacts(
            liveAvailable: false, liveUnavailableReason: reason, files: [], problems: [], settings: [], effective: [],
            drift: nil, errors: [])
    }
}

// MARK: - Which parameters

/// The network parameters hostaudit tracks.
package enum SysctlCatalog {
    /// Parameters of the whole network namespace: (key, family, name).
    package static let global: [(key: String, family: String, name: String)] = [
        ("net.ipv4.ip_forward", "ipv4", "ip_forward"),
        ("net.ipv4.tcp_syncookies", "ipv4", "tcp_syncookies"),
        ("net.ipv4.icmp_echo_ignore_broadcasts", "ipv4", "icmp_echo_ignore_broadcasts"),
        ("net.ipv4.icmp_ignore_bogus_error_responses", "ipv4", "icmp_ignore_bogus_error_responses"),
    ]
    /// Parameters under `net.ipv4.conf.{all,default,IFACE}`.
    static let ipv4Conf = [
        "forwarding", "accept_redirects", "send_redirects", "secure_redirects", "accept_source_route", "rp_filter",
        "log_martians",
    ]
    /// Parameters under `net.ipv6.conf.{all,default,IFACE}`.
    static let ipv6Conf = ["forwarding", "accept_redirects", "accept_source_route", "accept_ra", "disable_ipv6"]

    package static func conf(_ family: String) -> [String] { family == "ipv4" ? ipv4Conf : ipv6Conf }

    /// The dotted key of a per-interface parameter; dots in the interface name become `/`.
    package static func confKey(_ family: String, _ interface: String, _ name: String) -> String {
        "net.\(family).conf.\(SysctlKey.dottedComponent(interface)).\(name)"
    }
}

// MARK: - Keys and globs

/// sysctl names: the dotted form (`net.ipv4.conf.all.rp_filter`) and its
/// path components (`net`, `ipv4`, `conf`, `all`, `rp_filter`). In the dotted
/// form a `/` stands for a `.` inside a component (an interface `eth0.100`).
package enum SysctlKey {
    /// Longest configured key considered; longer lines are reported and ignored.
    package static let maxLength = 512

    package static func components(_ dotted: String) -> [String] {
        dotted.split(separator: ".", omittingEmptySubsequences: false).map { String($0.map { $0 == "/" ? "." : $0 }) }
    }

    static func dottedComponent(_ c: String) -> String { String(c.map { $0 == "." ? "/" : $0 }) }

    package static func dotted(_ components: [String]) -> String { components.map(dottedComponent).joined(separator: ".") }

    static func isGlob(_ key: String) -> Bool { key.contains { $0 == "*" || $0 == "?" || $0 == "[" } }

    /// Whether a glob pattern (dotted) matches a key (dotted), component by
    /// component as glob(3) matches paths below /proc/sys: `*` and `?` never
    /// cross a separator.
    package static func matches(pattern: String, key: String) -> Bool {
        let p = components(pattern)
        let k = components(key)
        guard p.count == k.count else { return false }
        for (a, b) in zip(p, k) where !matchComponent(Array(a.unicodeScalars), Array(b.unicodeScalars)) { return false }
        return true
    }

    /// fnmatch-style matching of one component: `*`, `?`, `[...]` (with `!`/`^`
    /// negation and ranges), `\\` escapes. Iterative with one backtrack point,
    /// so a hostile pattern costs at most length × length steps.
    static func matchComponent(_ p: [Unicode.Scalar], _ s: [Unicode.Scalar]) -> Bool {
        var pi = 0, si = 0
        var star: Int? = nil
        var starS = 0
        while si < s.count {
            if pi < p.count {
                switch p[pi] {
                case "*":
                    star = pi
                    starS = si
                    pi += 1
                    continue
                case "?":
                    pi += 1
                    si += 1
                    continue
                case "[":
                    if let (ok, next) = matchClass(p, pi, s[si]) {
                        if ok {
                            pi = next
                            si += 1
                            continue
                        }
                    } else if s[si] == "[" {  // an unclosed '[' is literal
                        pi += 1
                        si += 1
                        continue
                    }
                case "\\" where pi + 1 < p.count:
                    if p[pi + 1] == s[si] {
                        pi += 2
                        si += 1
                        continue
                    }
                default:
                    if p[pi] == s[si] {
                        pi += 1
                        si += 1
                        continue
                    }
                }
            }
            guard let st = star else { return false }
            pi = st + 1
            starS += 1
            si = starS
        }
        while pi < p.count && p[pi] == "*" { pi += 1 }
        return pi == p.count
    }

    /// Matches `c` against the class starting at `p[start] == "["`; nil when the class is not closed.
    static func matchClass(_ p: [Unicode.Scalar], _ start: Int, _ c: Unicode.Scalar) -> (Bool, Int)? {
        var i = start + 1
        var negate = false
        if i < p.count && (p[i] == "!" || p[i] == "^") {
            negate = true
            i += 1
        }
        var matched = false
        var first = true
        while i < p.count {
            if p[i] == "]" && !first { return (matched != negate, i + 1) }
            first = false
            var lo = p[i]
            if lo == "\\" && i + 1 < p.count {
                i += 1
                lo = p[i]
            }
            if i + 2 < p.count && p[i + 1] == "-" && p[i + 2] != "]" {
                let hi = p[i + 2]
                if lo.value <= c.value && c.value <= hi.value { matched = true }
                i += 3
            } else {
                if lo == c { matched = true }
                i += 1
            }
        }
        return nil
    }
}

// MARK: - Configuration

/// The sysctl configuration as systemd-sysctl reads it: files in order, each
/// line replacing an earlier assignment of the same key; a key named
/// explicitly is never touched by a glob; `-key` alone only keeps globs off
/// `key`. See docs/network-sysctls.md.
package struct SysctlConfiguration: Sendable, Equatable {
    package struct Line: Sendable, Equatable {
        package var key: String
        package var value: String?
        package var path: String
        package var line: Int
        package var ignoreFailure: Bool
    }

    /// Every line read, in reading order.
    package private(set) var lines: [Line] = []
    /// systemd-sysctl's ordered map: key (or pattern) → the deciding line and
    /// its place in application order (a changed value moves a key to the end).
    private var current: [String: (line: Int, order: Int)] = [:]
    private var nextOrder = 0
    /// Lines by key, for `overridden`.
    private var byKey: [String: [Int]] = [:]
    /// Distinct glob patterns, in first-seen order.
    private var patterns: [String] = []
    /// Distinct glob patterns considered; more are reported and ignored (each costs a match per key).
    package static let maxPatterns = 256

    package init() {}

    package static func == (a: SysctlConfiguration, b: SysctlConfiguration) -> Bool { a.lines == b.lines }

    /// Adds one line; false when it was ignored (too many patterns).
    @discardableResult
    package mutating func add(_ line: Line) -> Bool {
        let glob = SysctlKey.isGlob(line.key)
        if glob && current[line.key] == nil && byKey[line.key] == nil {
            guard patterns.count < Self.maxPatterns else { return false }
            patterns.append(line.key)
        }
        lines.append(line)
        let index = lines.count - 1
        byKey[line.key, default: []].append(index)
        if let existing = current[line.key], lines[existing.line].value == line.value {
            // Same value: systemd keeps the earlier entry in its place (failures ignored if either says so).
            if line.ignoreFailure { lines[existing.line].ignoreFailure = true }
            return true
        }
        current[line.key] = (index, nextOrder)
        nextOrder += 1
        return true
    }

    /// Parses and adds one file's bytes; returns its problems.
    package mutating func add(file path: String, bytes: [UInt8]) -> [FileProblem] {
        let r = SysctlConfParser.parseEntries(bytes, path: path)
        var problems = r.problems
        for e in r.entries {
            guard e.key.utf8.count <= SysctlKey.maxLength else {
                problems.append(FileProblem(path: path, line: e.line, text: nil, problem: "key longer than \(SysctlKey.maxLength) bytes: ignored"))
                continue
            }
            if !add(Line(key: e.key, value: e.value, path: path, line: e.line, ignoreFailure: e.ignoreFailure)) {
                problems.append(FileProblem(path: path, line: e.line, text: nil, problem: "more than \(Self.maxPatterns) glob patterns: ignored"))
            }
        }
        return problems
    }

    package struct Resolution: Sendable, Equatable {
        package var value: String?
        package var source: String?
        package var decidedBy: SysctlFacts.Assignment?
        package var ignoreFailure: Bool?
        package var overridden: [SysctlFacts.Assignment]
    }

    /// What the configuration sets `key` (dotted) to.
    package func resolve(_ key: String) -> Resolution {
        func assignment(_ l: Line) -> SysctlFacts.Assignment {
            SysctlFacts.Assignment(value: l.value, path: l.path, line: l.line, pattern: SysctlKey.isGlob(l.key) ? l.key : nil)
        }
        let matching = patterns.filter { SysctlKey.matches(pattern: $0, key: key) }
        var decided: Int? = nil
        var source: String? = nil
        if let c = current[key] {
            decided = c.line
            source = lines[c.line].value == nil ? "excluded" : "explicit"
        } else {
            // Globs are applied in the map's order: the last one applied wins.
            var best: (line: Int, order: Int)? = nil
            for p in matching {
                guard let c = current[p], lines[c.line].value != nil else { continue }
                if best == nil || c.order > best!.order { best = c }
            }
            if let b = best {
                decided = b.line
                source = "glob"
            }
        }
        guard let d = decided else {
            return Resolution(value: nil, source: nil, decidedBy: nil, ignoreFailure: nil, overridden: [])
        }
        // Every other line that names the key or a pattern matching it, in reading order.
        let relevant = Set((byKey[key] ?? []) + matching.flatMap { byKey[$0] ?? [] }).sorted()
        let overridden = relevant.filter { $0 != d && lines[$0].value != nil }.map { assignment(lines[$0]) }
        let l = lines[d]
        return Resolution(
            value: l.value.map(SysctlValue.normalize), source: source, decidedBy: assignment(l),
            ignoreFailure: l.value == nil ? nil : l.ignoreFailure, overridden: overridden)
    }

    /// Explicit (non-glob) keys the configuration names, in application order.
    var explicitKeys: [String] {
        current.filter { !SysctlKey.isGlob($0.key) }.sorted { $0.value.order < $1.value.order }.map(\.key)
    }
}

package enum SysctlValue {
    /// Whitespace collapsed to single spaces, trimmed (`sysctl` prints tabs where files use spaces).
    package static func normalize(_ s: String) -> String {
        s.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }).joined(separator: " ")
    }
}

// MARK: - Building the facts

extension SysctlFacts {
    /// Live values read from /proc/sys/net: key → value, or an error.
    public struct LiveValues: Sendable {
        public var values: [String: String]
        public var errors: [String: String]
        /// Interfaces listed under net/ipv4/conf and net/ipv6/conf (without `all` and `default`).
        public var interfaces: [String: [String]]

        public init(values: [String: String] = [:], errors: [String: String] = [:], interfaces: [String: [String]] = [:]) {
            self.values = values
            self.errors = errors
            self.interfaces = interfaces
        }
    }

    /// Builds the section from the configuration and, when read, the live values.
    package static func make(
        configuration: SysctlConfiguration, files: [String], problems: [FileProblem], live: LiveValues?,
        liveUnavailableReason: String?, errors: [String] = []
    ) -> SysctlFacts {
        // Which keys: the globals, all/default/each live interface, and any tracked key the files name.
        var keys: [String: (family: String, interface: String?, name: String)] = [:]
        for g in SysctlCatalog.global { keys[g.key] = (g.family, nil, g.name) }
        for family in ["ipv4", "ipv6"] {
            let ifaces = ["all", "default"] + (live?.interfaces[family] ?? [])
            for i in ifaces {
                for n in SysctlCatalog.conf(family) { keys[SysctlCatalog.confKey(family, i, n)] = (family, i, n) }
            }
        }
        var extra = 0
        var errors = errors
        for k in configuration.explicitKeys where keys[k] == nil {
            guard extra < 1000 else {
                errors.append("more than 1000 interfaces named only in the configuration: the rest not listed")
                break
            }
            let c = SysctlKey.components(k)
            if c.count == 5, c[0] == "net", c[2] == "conf", ["ipv4", "ipv6"].contains(c[1]),
                SysctlCatalog.conf(c[1]).contains(c[4])
            {
                keys[k] = (c[1], c[3], c[4])
                extra += 1
            }
        }
        var settings: [Setting] = []
        for key in keys.keys.sorted() {
            let info = keys[key]!
            let r = configuration.resolve(key)
            let liveValue = live?.values[key]
            var drift: Bool? = nil
            if let c = r.value, let l = liveValue { drift = c != l }
            settings.append(
                Setting(
                    key: key, family: info.family, interface: info.interface, name: info.name, live: liveValue,
                    liveError: live?.errors[key], configured: r.value, source: r.source, configuredAt: r.decidedBy,
                    ignoreFailure: r.ignoreFailure, overridden: r.overridden, drift: drift))
        }
        var driftList: [Drift]? = nil
        if live != nil {
            driftList = settings.compactMap { s in
                guard s.drift == true, let c = s.configured, let l = s.live, let at = s.configuredAt else { return nil }
                return Drift(
                    key: s.key, configured: c, live: l, path: at.path, line: at.line,
                    message:
                        "\(s.key) is \(l) in the running kernel but \(at.path):\(at.line) sets \(c): "
                        + "changed by hand since boot, or the file was edited after boot or failed to apply; it becomes \(c) at the next boot.")
            }
        }
        let effective = live.map { effectiveValues($0) } ?? []
        return SysctlFacts(
            liveAvailable: live != nil, liveUnavailableReason: live == nil ? (liveUnavailableReason ?? "not read") : nil,
            files: files, problems: problems, settings: settings, effective: effective, drift: driftList, errors: errors)
    }

    /// The kernel's combination of `all` and the interface's own value
    /// (include/linux/inetdevice.h for IPv4; the IPv6 receive paths).
    public static func effectiveValues(_ live: LiveValues) -> [Effective] {
        var out: [Effective] = []
        func v(_ family: String, _ iface: String, _ name: String) -> Int? {
            live.values[SysctlCatalog.confKey(family, iface, name)].flatMap { Int($0) }
        }
        func s(_ i: Int?) -> String? { i.map(String.init) }
        for iface in (live.interfaces["ipv4"] ?? []).sorted() {
            let fwd = v("ipv4", iface, "forwarding")
            for name in SysctlCatalog.ipv4Conf {
                let own = v("ipv4", iface, name), all = v("ipv4", "all", name)
                var eff: Int? = nil
                var rule = ""
                var usesForwarding = false
                switch name {
                case "forwarding":
                    eff = own
                    rule = "interface (writing conf.all or ip_forward sets every interface)"
                case "rp_filter":
                    if let o = own, let a = all { eff = max(o, a) }
                    rule = "max(all, interface)"
                case "log_martians", "send_redirects", "secure_redirects":
                    if let o = own, let a = all { eff = (o != 0 || a != 0) ? 1 : 0 }
                    rule = "all OR interface"
                case "accept_source_route":
                    if let o = own, let a = all { eff = (o != 0 && a != 0) ? 1 : 0 }
                    rule = "all AND interface"
                case "accept_redirects":
                    usesForwarding = true
                    if let o = own, let a = all, let f = fwd {
                        eff = f != 0 ? ((o != 0 && a != 0) ? 1 : 0) : ((o != 0 || a != 0) ? 1 : 0)
                    }
                    rule = "forwarding on: all AND interface; forwarding off: all OR interface"
                default: break
                }
                out.append(
                    Effective(
                        interface: iface, family: "ipv4", name: name, own: s(own), all: s(all),
                        forwarding: usesForwarding ? s(fwd) : nil, effective: s(eff), rule: rule))
            }
        }
        for iface in (live.interfaces["ipv6"] ?? []).sorted() {
            let fwd = v("ipv6", iface, "forwarding")
            // An interface with disable_ipv6 drops every IPv6 packet on receipt.
            let disabled = v("ipv6", iface, "disable_ipv6")
            for name in SysctlCatalog.ipv6Conf {
                let own = v("ipv6", iface, name), all = v("ipv6", "all", name)
                var eff: Int? = nil
                var rule = ""
                var usesForwarding = false
                switch name {
                case "forwarding", "disable_ipv6":
                    eff = own
                    rule = "interface (writing conf.all sets every interface and default)"
                case "accept_ra":
                    usesForwarding = true
                    if let o = own, let f = fwd { eff = f != 0 ? (o == 2 ? 1 : 0) : (o != 0 ? 1 : 0) }
                    if disabled == 1 { eff = 0 }
                    rule = "interface; 1 = router advertisements accepted (with forwarding on only when accept_ra is 2; never with disable_ipv6)"
                case "accept_redirects":
                    usesForwarding = true
                    if let o = own, let f = fwd { eff = (f == 0 && o != 0) ? 1 : 0 }
                    if disabled == 1 { eff = 0 }
                    rule = "interface, and never with forwarding on or disable_ipv6"
                case "accept_source_route":
                    if let o = own, let a = all { eff = min(o, a) }
                    rule = "min(all, interface)"
                default: break
                }
                out.append(
                    Effective(
                        interface: iface, family: "ipv6", name: name, own: s(own), all: s(all),
                        forwarding: usesForwarding ? s(fwd) : nil, effective: s(eff), rule: rule))
            }
        }
        return out
    }
}
