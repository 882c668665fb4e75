/// A repository URL read from the host's package manager configuration.
package struct PackageSource: Sendable, Equatable {
    /// `baseurl`, `mirrorlist`, `metalink` (yum/dnf) or `deb`, `deb-src` (apt).
    package var kind: String
    package var url: String
    package var path: String
    package var line: Int
    /// The yum repository id (`[id]`), else null.
    package var repo: String?
    /// False for `enabled=0` (yum) or `Enabled: no` (deb822); these are not probed.
    package var enabled: Bool

    package init(kind: String, url: String, path: String, line: Int, repo: String? = nil, enabled: Bool = true) {
        self.kind = kind
        self.url = url
        self.path = path
        self.line = line
        self.repo = repo
        self.enabled = enabled
    }
}

/// What the package-source parsers found in one or more files.
package struct PackageSourceList: Sendable, Equatable {
    package var sources: [PackageSource]
    package var problems: [FileProblem]
    /// Files read, in order.
    package var files: [String]

    package init(sources: [PackageSource] = [], problems: [FileProblem] = [], files: [String] = []) {
        self.sources = sources
        self.problems = problems
        self.files = files
    }

    package mutating func append(_ other: PackageSourceList) {
        sources += other.sources
        problems += other.problems
        files += other.files
    }

    /// The enabled sources as probe targets, one per scheme, host and port (the
    /// first URL naming it is the target text; every file:line is an origin).
    /// URLs that are not network sources (file:, cdrom:) or that cannot be
    /// probed (a variable in the host) become problems.
    package func targets() -> (targets: [EgressTarget], problems: [FileProblem]) {
        var out: [EgressTarget] = []
        var index: [String: Int] = [:]
        var problems: [FileProblem] = []
        for s in sources where s.enabled {
            let lower = s.url.lowercased()
            if lower.hasPrefix("file:") || lower.hasPrefix("cdrom:") || lower.hasPrefix("copy:") || !lower.contains("://") {
                problems.append(FileProblem(path: s.path, line: s.line, text: s.url, problem: "not a network source; not probed"))
                continue
            }
            do {
                var t = try EgressTargetParser.parse(s.url)
                let origin = EgressTarget.Origin(path: s.path, line: s.line)
                let key = "\(t.scheme ?? "")|\(t.host)|\(t.port)"
                if let i = index[key] {
                    if !out[i].origins.contains(origin) { out[i].origins.append(origin) }
                } else {
                    t.origins = [origin]
                    index[key] = out.count
                    out.append(t)
                }
            } catch {
                problems.append(FileProblem(path: s.path, line: s.line, text: s.url, problem: error.reason))
            }
        }
        return (out, problems)
    }
}

/// Pure parsers for yum/dnf `.repo` files and apt's one-line and deb822 lists.
package enum PackageSourceParser {
    // MARK: - yum / dnf

    /// A `.repo` file: INI sections; `baseurl` may hold several URLs separated
    /// by white space or commas, also on indented continuation lines;
    /// `mirrorlist` and `metalink` name one URL each. `$releasever` and
    /// `$basearch` stay as written (they matter only when they are in a host).
    package static func parseYumRepo(_ text: String, path: String) -> PackageSourceList {
        var list = PackageSourceList(files: [path])
        var section: String? = nil
        var pending: [(kind: String, url: String, line: Int, repo: String?)] = []
        var enabledBySection: [String: Bool] = [:]
        var currentKey: String? = nil
        for (n, raw) in lines(text) {
            let trimmed = raw.trimmingWhitespace()
            if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix(";") {
                if trimmed.isEmpty { currentKey = nil }
                continue
            }
            let isContinuation = raw.first == " " || raw.first == "\t"
            if isContinuation, let key = currentKey {
                if key == "baseurl" || key == "mirrorlist" || key == "metalink" {
                    for url in splitURLs(trimmed) { pending.append((key, url, n, section)) }
                }
                continue
            }
            if trimmed.hasPrefix("[") {
                guard trimmed.hasSuffix("]") else {
                    list.problems.append(FileProblem(path: path, line: n, text: raw, problem: "section header without ']'"))
                    continue
                }
                section = String(trimmed.dropFirst().dropLast()).trimmingWhitespace()
                currentKey = nil
                continue
            }
            guard let eq = trimmed.firstIndex(of: "=") else {
                list.problems.append(FileProblem(path: path, line: n, text: raw, problem: "neither 'key=value' nor a section"))
                currentKey = nil
                continue
            }
            let key = trimmed[..<eq].trimmingWhitespace().lowercased()
            let value = trimmed[trimmed.index(after: eq)...].trimmingWhitespace()
            currentKey = key
            switch key {
            case "baseurl", "mirrorlist", "metalink":
                if section == nil {
                    list.problems.append(FileProblem(path: path, line: n, text: raw, problem: "\(key) outside a [repository] section"))
                }
                let urls = key == "baseurl" ? splitURLs(value) : (value.isEmpty ? [] : [value])
                for url in urls { pending.append((key, url, n, section)) }
            case "enabled":
                if let section { enabledBySection[section] = !["0", "no", "false", "off"].contains(value.lowercased()) }
            default:
                break
            }
        }
        for p in pending {
            let enabled = p.repo.flatMap { enabledBySection[$0] } ?? true
            list.sources.append(PackageSource(kind: p.kind, url: p.url, path: path, line: p.line, repo: p.repo, enabled: enabled))
        }
        return list
    }

    static func splitURLs(_ s: String) -> [String] {
        s.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," }).map(String.init)
    }

    // MARK: - apt one-line format

    /// `deb [ option=value ... ] URI suite [component...]` (sources.list(5)).
    package static func parseAptList(_ text: String, path: String) -> PackageSourceList {
        var list = PackageSourceList(files: [path])
        for (n, raw) in lines(text) {
            var line = Substring(raw)
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            let t = String(line).trimmingWhitespace()
            if t.isEmpty { continue }
            var rest = Substring(t)
            let type = rest.prefix(while: { $0 != " " && $0 != "\t" })
            rest = rest.dropFirst(type.count).drop(while: { $0 == " " || $0 == "\t" })
            guard type == "deb" || type == "deb-src" else {
                list.problems.append(FileProblem(path: path, line: n, text: raw, problem: "unknown type '\(type)' (expected deb or deb-src)"))
                continue
            }
            if rest.hasPrefix("[") {
                guard let close = rest.firstIndex(of: "]") else {
                    list.problems.append(FileProblem(path: path, line: n, text: raw, problem: "options '[' without ']'"))
                    continue
                }
                rest = rest[rest.index(after: close)...].drop(while: { $0 == " " || $0 == "\t" })
            }
            let words = rest.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard words.count >= 2 else {
                list.problems.append(FileProblem(path: path, line: n, text: raw, problem: "expected a URI and a suite"))
                continue
            }
            list.sources.append(PackageSource(kind: String(type), url: String(words[0]), path: path, line: n))
        }
        return list
    }

    // MARK: - apt deb822 format

    /// `*.sources` (deb822): stanzas separated by blank lines; `URIs:` holds one
    /// or more URIs (also on continuation lines); `Enabled: no` turns a stanza off.
    package static func parseDeb822(_ text: String, path: String) -> PackageSourceList {
        var list = PackageSourceList(files: [path])
        struct Stanza {
            var types: [String] = []
            var uris: [(String, Int)] = []
            var enabled = true
            var startLine = 0
        }
        var stanza = Stanza()
        var inStanza = false
        var currentField: String? = nil
        func flush() {
            if inStanza {
                if stanza.uris.isEmpty {
                    list.problems.append(FileProblem(path: path, line: stanza.startLine, text: nil, problem: "stanza without URIs"))
                }
                let types = stanza.types.isEmpty ? ["deb"] : stanza.types
                for (uri, line) in stanza.uris {
                    list.sources.append(PackageSource(kind: types[0], url: uri, path: path, line: line, enabled: stanza.enabled))
                }
            }
            stanza = Stanza()
            inStanza = false
            currentField = nil
        }
        for (n, raw) in lines(text) {
            if raw.hasPrefix("#") { continue }
            if raw.trimmingWhitespace().isEmpty {
                flush()
                continue
            }
            if raw.first == " " || raw.first == "\t" {
                let value = raw.trimmingWhitespace()
                if value == "." { continue }
                if currentField == "uris" {
                    for w in value.split(whereSeparator: { $0 == " " || $0 == "\t" }) { stanza.uris.append((String(w), n)) }
                } else if currentField == "types" {
                    stanza.types += value.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
                }
                continue
            }
            guard let colon = raw.firstIndex(of: ":") else {
                list.problems.append(FileProblem(path: path, line: n, text: raw, problem: "expected 'Field: value'"))
                continue
            }
            if !inStanza {
                inStanza = true
                stanza.startLine = n
            }
            let field = raw[..<colon].trimmingWhitespace().lowercased()
            let value = raw[raw.index(after: colon)...].trimmingWhitespace()
            currentField = field
            let words = value.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            switch field {
            case "types": stanza.types += words
            case "uris": for w in words { stanza.uris.append((w, n)) }
            case "enabled": stanza.enabled = !["no", "false", "0"].contains(value.lowercased())
            default: break
            }
        }
        flush()
        return list
    }

    /// Lines with 1-based numbers; a trailing CR is dropped.
    static func lines(_ text: String) -> [(Int, String)] {
        text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().map { i, l in
            (i + 1, l.hasSuffix("\r") ? String(l.dropLast()) : String(l))
        }
    }
}

extension StringProtocol {
    fileprivate func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\r" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" { s.removeLast() }
        return String(s)
    }
}
