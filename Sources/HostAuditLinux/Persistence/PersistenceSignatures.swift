#if canImport(Glibc)
import Glibc
#endif
import HostAuditCore

/// YARA over the files persistence points at: the programs and scripts cron
/// entries and periodic scripts run, systemd `Exec*=` programs, `ld.so.preload`
/// libraries, and rc scripts (`/etc/rc.local`, `/etc/rc.d/rc.local`,
/// `/etc/init.d/*`) with the programs they name. Every file is read through
/// `HostFiles` (below `--root`, links resolved inside it, never a FIFO or
/// device), each distinct resolved file once, up to the size cap.
extension PersistenceCollector {
    /// At most this many absolute paths are taken from one command line.
    static let pathsPerCommand = 8
    /// At most this many distinct targets are scanned.
    static let targetLimit = 2000

    struct SignatureTargets {
        var order: [String] = []
        var areas: [String: [String]] = [:]
        var refs: [String: [String]] = [:]

        mutating func add(_ path: String, area: String, ref: String) {
            guard path.hasPrefix("/") else { return }
            if areas[path] == nil {
                order.append(path)
                areas[path] = []
                refs[path] = []
            }
            if !areas[path]!.contains(area) { areas[path]!.append(area) }
            if !refs[path]!.contains(ref) { refs[path]!.append(ref) }
        }
    }

    /// Absolute paths a shell command line names (programs and their arguments), not /dev, /proc or /sys.
    static func commandPaths(_ line: String) -> [String] {
        var out: [String] = []
        for cmd in ShellCommand.parse(line) {
            for w in cmd.words where w.hasPrefix("/") && !w.hasPrefix("//") {
                if ["/dev/", "/proc/", "/sys/"].contains(where: { w.hasPrefix($0) }) || w == "/" { continue }
                if !out.contains(w) { out.append(w) }
                if out.count >= pathsPerCommand { return out }
            }
        }
        return out
    }

    func signatureTargets(_ facts: PersistenceFacts) -> SignatureTargets {
        var t = SignatureTargets()
        for e in facts.ldSoPreload.content.entries {
            let lib = e.library.contains("/") ? e.library : e.foundAt
            if let lib { t.add(lib, area: "ld-so-preload", ref: "\(facts.ldSoPreload.status.path):\(e.line)") }
        }
        for f in facts.cron.files {
            if f.content.kind == "periodic-script" { t.add(f.status.path, area: "cron", ref: f.status.path) }
            for e in f.content.entries {
                for p in Self.commandPaths(e.command) { t.add(p, area: "cron", ref: "\(f.status.path):\(e.line)") }
            }
            for l in f.content.scriptLines {
                for p in Self.commandPaths(l.text) { t.add(p, area: "cron", ref: "\(f.status.path):\(l.line)") }
            }
        }
        for u in facts.systemd.units where !u.masked {
            let unitPath = u.resolvedPath ?? u.path
            for e in u.execs {
                let ref = "\(unitPath):\(e.line)"
                t.add(e.program, area: "systemd", ref: ref)
                for p in Self.commandPaths(e.commandLine) { t.add(p, area: "systemd", ref: ref) }
            }
        }
        // rc scripts: the scripts themselves and the programs rc.local names.
        for rc in ["/etc/rc.local", "/etc/rc.d/rc.local"] {
            guard let c = try? files.read(rc, limit: Self.readLimit) else { continue }
            t.add(rc, area: "rc", ref: rc)
            var n = 0
            for raw in c.bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
                n += 1
                let text = TerminalText.decode(Array(raw))
                if text.drop(while: { $0 == " " || $0 == "\t" }).hasPrefix("#") { continue }
                for p in Self.commandPaths(text) { t.add(p, area: "rc", ref: "\(rc):\(n)") }
            }
        }
        for name in listFiles("/etc/init.d").names {
            t.add("/etc/init.d/" + name, area: "rc", ref: "/etc/init.d")
        }
        return t
    }

    /// Scans the targets with the rules of `options.rulesDirectory`; never throws.
    func scanSignatures(_ facts: PersistenceFacts, options: SignatureScanOptions) -> PersistenceSignatures {
        let rules: YaraRules
        do { rules = try YaraRules.shared(directory: options.rulesDirectory) } catch {
            return PersistenceSignatures(available: false, unavailableReason: "signatures: \(error.description)")
        }
        let cap = options.fileSizeCap
        var out = PersistenceSignatures(available: true, rules: rules.names, fileSizeCap: cap)
        let t = signatureTargets(facts)
        if t.order.count > Self.targetLimit {
            out.errors.append("\(t.order.count) files named; only the first \(Self.targetLimit) were scanned")
        }
        // Resolved host path -> (first path, sha256, index range of its matches).
        var seen: [String: (first: String, sha256: String?, matches: [Int])] = [:]
        for path in t.order.prefix(Self.targetLimit) {
            let areas = t.areas[path] ?? [], refs = t.refs[path] ?? []
            var target = PersistenceSignatureTarget(
                path: path, resolvedPath: nil, areas: areas, referencedBy: refs, scanned: false, skipped: nil, size: nil,
                sha256: nil, matches: 0)
            defer { out.targets.append(target) }
            let resolved: String
            do throws(ProbeError) { resolved = try files.resolve(path).hostPath } catch {
                target.skipped = Self.isAbsent(error) ? "absent" : "unreadable: \(error.description)"
                continue
            }
            target.resolvedPath = resolved
            if let prior = seen[resolved] {
                // The same file under another name: scanned once, its matches carry this reference too.
                target.skipped = "same file as \(prior.first)"
                target.sha256 = prior.sha256
                target.matches = prior.matches.count
                for i in prior.matches {
                    for a in areas where !out.matches[i].areas.contains(a) { out.matches[i].areas.append(a) }
                    for r in refs where !out.matches[i].referencedBy.contains(r) { out.matches[i].referencedBy.append(r) }
                }
                continue
            }
            seen[resolved] = (path, nil, [])
            do throws(ProbeError) {
                let meta = try files.metadata(resolved, followLinks: false)
                target.size = meta.size
                guard meta.type == .regular else {
                    target.skipped = "not a regular file (\(meta.type.rawValue))"
                    out.filesSkipped += 1
                    continue
                }
                guard meta.size <= Int64(cap) else {
                    target.skipped = "size-cap (\(meta.size) bytes)"
                    out.filesSkipped += 1
                    continue
                }
                let c = try files.read(resolved, limit: cap)
                guard !c.truncated else {
                    target.skipped = "size-cap (grew past \(cap) bytes)"
                    out.filesSkipped += 1
                    continue
                }
                target.size = Int64(c.bytes.count)
                let hits: [YaraRules.Hit]
                do { hits = try rules.scan(c.bytes) } catch {
                    target.skipped = "scan failed: \(error.description)"
                    out.errors.append("\(resolved): \(error.description)")
                    out.filesSkipped += 1
                    continue
                }
                // Hashed only when a rule matched: hashing every program a unit names would dominate the pass.
                let sha = hits.isEmpty ? nil : SHA256.hex(SHA256.hash(c.bytes))
                target.sha256 = sha
                target.scanned = true
                out.filesScanned += 1
                var indices: [Int] = []
                for h in hits {
                    indices.append(out.matches.count)
                    out.matches.append(
                        PersistenceSignatureMatch(
                            rule: h.rule, namespace: h.namespace, tags: h.tags, path: resolved, offset: h.offset,
                            string: h.string, stringMatches: h.count, source: h.source, sha256: sha ?? "", areas: areas,
                            referencedBy: refs))
                }
                target.matches = hits.count
                seen[resolved] = (path, sha, indices)
            } catch {
                target.skipped = Self.isAbsent(error) ? "absent" : "unreadable: \(error.description)"
                if !Self.isAbsent(error) { out.filesSkipped += 1 }
            }
        }
        return out
    }

    static func isAbsent(_ error: ProbeError) -> Bool {
        if case .syscall(_, _, let e) = error { return e == .noSuchFileOrDirectory || e == .notDirectory }
        return false
    }

    static func signatureIndicators(_ s: PersistenceSignatures) -> [PersistenceIndicator] {
        s.matches.map { m in
            PersistenceIndicator(
                area: "signatures", indicator: "signature-match", path: m.path, line: nil, match: m.rule,
                detail: "\(m.namespace):\(m.rule)" + (m.tags.isEmpty ? "" : " [\(m.tags.joined(separator: ","))]")
                    + (m.offset.map { " at offset \($0)" } ?? "") + ", sha256 \(m.sha256); named by "
                    + m.referencedBy.joined(separator: ", "))
        }
    }
}
