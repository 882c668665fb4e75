#if canImport(Glibc)
import Glibc
#endif
import HostAuditCore

/// Collects `hostaudit facts resolver`: resolv.conf (and systemd-resolved's
/// upstreams when the stub is in use), nsswitch.conf's hosts line and /etc/hosts.
///
/// Everything is read through `HostFiles`, so `--root DIR` reads below DIR with
/// symlinks resolved inside it. Never throws: an unreadable file is data
/// (`present: false` and an `error`). No DNS query is sent.
public struct ResolverCollector: Sendable {
    public static let resolvConfPath = "/etc/resolv.conf"
    public static let systemdUpstreamPath = "/run/systemd/resolve/resolv.conf"
    public static let systemdStubPath = "/run/systemd/resolve/stub-resolv.conf"
    public static let nsswitchPath = "/etc/nsswitch.conf"
    public static let hostsPath = "/etc/hosts"
    /// Files larger than this are parsed only up to it and reported as truncated.
    public static let readLimit = 1 << 20

    public let scope: CollectionScope
    let files: HostFiles

    public init(scope: CollectionScope) {
        self.scope = scope
        self.files = HostFiles(scope: scope)
    }

    public func collect() -> ResolverFacts {
        let resolvConf = readResolvConf(Self.resolvConfPath)
        var upstream: ResolvConfFacts? = nil
        if resolvConf.parsed.usesSystemdStub || resolvConf.manager == "systemd-resolved-stub" {
            upstream = readResolvConf(Self.systemdUpstreamPath)
        }
        let effective = ResolverFacts.effective(resolvConf: resolvConf, upstream: upstream)
        return ResolverFacts(
            resolvConf: resolvConf, upstreamResolvConf: upstream, effectiveNameservers: effective.servers,
            effectiveNameserversSource: effective.source, effectiveNameserversNote: effective.note,
            nsswitch: readNSSwitch(), hosts: readHosts())
    }

    // MARK: - Host name

    /// The host name glibc's `gethostname()` gives, for the search list it
    /// derives when resolv.conf has no `search` or `domain`: the kernel's
    /// node name (uname) for the live host; below `--root`, the image's
    /// /etc/hostname (`EtcHostname`, the same reader the report's host name uses).
    public func hostName() -> String? {
        if scope.isLive {
            guard let name = KernelName.current()?.nodeName else { return nil }
            return name.isEmpty ? nil : name
        }
        return EtcHostname.read(files)
    }

    // MARK: - resolv.conf

    func readResolvConf(_ path: String) -> ResolvConfFacts {
        var facts = ResolvConfFacts(path: path)
        var resolution: HostFiles.Resolution? = nil
        do {
            let r = try files.resolve(path)
            resolution = r
            facts.symlinkChain = r.links.map { .init(path: $0.path, target: $0.target) }
            let own = r.links.first { $0.path == HostFiles.normalize(path) }
            facts.isSymlink = own != nil
            facts.symlinkTarget = own?.target
            facts.resolvedPath = r.hostPath
        } catch {
            facts.error = "\(error)"
        }
        var bytes: [UInt8]? = nil
        do {
            let contents = try files.read(path, limit: Self.readLimit)
            bytes = contents.bytes
            facts.present = true
            facts.error = nil
            facts.mtimeMs = contents.metadata.mtimeMs
            facts.size = contents.size
            facts.truncated = contents.truncated
            facts.resolvedPath = contents.resolution.hostPath
        } catch {
            facts.present = false
            facts.error = "\(error)"
        }
        if facts.present {
            do {
                let flags = try files.inodeFlags(path)
                facts.immutable = flags.immutable
                facts.appendOnly = flags.appendOnly
            } catch {
                facts.attributesError = "\(error)"
            }
        }
        var parsed = bytes.map { ResolvConfParser.parse($0, path: path) } ?? ResolvConf()
        if facts.truncated {
            parsed.problems.insert(
                FileProblem(
                    path: path, line: nil, text: nil,
                    problem: "file is \(facts.size ?? 0) bytes; only the first \(Self.readLimit) were parsed"),
                at: 0)
        }
        facts.parsed = parsed
        let (manager, evidence) = Self.manager(
            path: path, links: resolution?.links ?? [], resolvedPath: facts.resolvedPath, present: facts.present,
            bytes: bytes ?? [], parsed: parsed)
        facts.manager = manager
        facts.managerEvidence = evidence
        return facts
    }

    /// Which program manages the file, from where its links lead and, for a plain
    /// file, from its content.
    static func manager(
        path: String, links: [HostFiles.Link], resolvedPath: String?, present: Bool, bytes: [UInt8], parsed: ResolvConf
    ) -> (String, String) {
        let target = resolvedPath ?? path
        if !links.isEmpty {
            let via = "symlink to \(target)"
            if target == systemdStubPath || target.hasSuffix("/lib/systemd/resolv.conf") {
                return ("systemd-resolved-stub", via)
            }
            if target == systemdUpstreamPath { return ("systemd-resolved", via) }
            if target.hasPrefix("/run/NetworkManager/") || target.hasPrefix("/var/run/NetworkManager/") {
                return ("networkmanager", via)
            }
            if target.hasPrefix("/run/resolvconf/") || target.hasPrefix("/var/run/resolvconf/")
                || target.hasPrefix("/etc/resolvconf/run/")
            {
                return ("resolvconf", via)
            }
        }
        guard present else { return ("unknown", "file could not be read") }
        let head = String(decoding: bytes.prefix(4096), as: UTF8.self)
        if head.contains("Generated by NetworkManager") {
            return ("networkmanager", "header \"Generated by NetworkManager\"")
        }
        if head.contains("generated by resolvconf") || head.contains("DO NOT EDIT THIS FILE BY HAND -- YOUR CHANGES WILL BE OVERWRITTEN") {
            return ("resolvconf", "resolvconf header")
        }
        if parsed.usesSystemdStub {
            return ("systemd-resolved-stub", "nameserver \(parsed.stubAddresses.joined(separator: ", ")) (systemd-resolved stub)")
        }
        if head.contains("managed by man:systemd-resolved") {
            return ("systemd-resolved", "systemd-resolved header")
        }
        if !links.isEmpty { return ("other-symlink", "symlink to \(target), not a known manager's file") }
        return ("plain-file", "regular file without a known manager's header")
    }

    // MARK: - nsswitch.conf, hosts

    func readNSSwitch() -> NSSwitchFacts {
        let path = Self.nsswitchPath
        do {
            let contents = try files.read(path, limit: Self.readLimit)
            let conf = NSSwitchParser.parse(contents.bytes, path: path)
            var problems = conf.problems
            if contents.truncated {
                problems.insert(
                    FileProblem(path: path, line: nil, text: nil, problem: "file larger than \(Self.readLimit) bytes; truncated"),
                    at: 0)
            }
            let hosts = conf.database("hosts")
            return NSSwitchFacts(
                path: path, present: true, error: nil, hosts: hosts ?? NSSwitchParser.defaultHosts,
                hostsIsDefault: hosts == nil, problems: problems)
        } catch {
            return NSSwitchFacts(
                path: path, present: false, error: "\(error)", hosts: NSSwitchParser.defaultHosts, hostsIsDefault: true,
                problems: [])
        }
    }

    func readHosts() -> HostsFileFacts {
        let path = Self.hostsPath
        do {
            let contents = try files.read(path, limit: Self.readLimit)
            let parsed = HostsFileParser.parse(contents.bytes, path: path)
            return HostsFileFacts(
                path: path, present: true, error: nil, truncated: contents.truncated, entries: parsed.entries,
                problems: parsed.problems)
        } catch {
            return HostsFileFacts(path: path, present: false, error: "\(error)", truncated: false, entries: [], problems: [])
        }
    }
}
