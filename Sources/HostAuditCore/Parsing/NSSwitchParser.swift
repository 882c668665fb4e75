/// Parses nsswitch.conf as glibc 2.33+ does (nss/nss_database.c `process_line`,
/// nss/nss_action_parse.c):
/// - leading white space is skipped; the database name ends at white space or
///   `:`, and every following white space and `:` is skipped;
/// - database names are case-sensitive; unknown ones (sudoers, automount) are
///   someone else's and ignored;
/// - `#` starts a comment only as the first non-blank character: inside a
///   service list glibc takes `#` and what follows as service names;
/// - criteria `[!STATUS=action …]`: statuses SUCCESS, NOTFOUND, UNAVAIL,
///   TRYAGAIN and actions return, continue, merge, all case-insensitive. A
///   syntax error makes glibc reject the *whole file* (lookups then fail);
/// - a repeated database line replaces the earlier one (the last wins).
package enum NSSwitchParser {
    /// glibc's built-in `hosts` line when nsswitch.conf or its hosts line is missing.
    package static let defaultHosts = NSSwitchConf.Database(
        name: "hosts", line: nil,
        sources: [.init(name: "files", criteria: []), .init(name: "dns", criteria: [])])

    /// Databases glibc knows (nss/databases.def).
    static let knownDatabases: Set<String> = [
        "aliases", "ethers", "group", "group_compat", "gshadow", "hosts", "initgroups", "netgroup", "networks",
        "passwd", "passwd_compat", "protocols", "publickey", "rpc", "services", "shadow", "shadow_compat",
    ]

    static let statuses = ["SUCCESS", "NOTFOUND", "UNAVAIL", "TRYAGAIN"]
    static let actions = ["return", "continue", "merge"]

    package static func parse(_ text: String, path: String = "/etc/nsswitch.conf") -> NSSwitchConf {
        parse(Array(text.utf8), path: path)
    }

    package static func parse(_ bytes: [UInt8], path: String = "/etc/nsswitch.conf") -> NSSwitchConf {
        var problems = ProblemList(path: path)
        let split = ConfigLines.split(bytes)
        if split.hasNUL {
            problems.add(line: split.firstNULLine, text: nil, "file contains NUL bytes (binary?); glibc reads each line only up to the first NUL")
        }
        var databases: [NSSwitchConf.Database] = []
        for (number, raw) in split.lines {
            let line = ConfigLines.cString(raw)
            let text = ConfigLines.text(line)
            var i = line.startIndex
            while i < line.endIndex, isSpace(line[i]) { i += 1 }
            if i == line.endIndex { continue }
            if line[i] == UInt8(ascii: "#") { continue }
            let nameStart = i
            while i < line.endIndex, !isSpace(line[i]), line[i] != UInt8(ascii: ":") { i += 1 }
            let name = ConfigLines.text(line[nameStart..<i])
            // glibc's getline keeps the '\n', so "hosts" alone still counts as a
            // database with no services; only a last line without newline is skipped.
            let hadSeparator = i < line.endIndex || number < split.lines.count || bytes.last == ConfigLines.newline
            guard hadSeparator else {
                problems.add(line: number, text: text, "'\(name)' without ':' at the end of the file; ignored by glibc")
                continue
            }
            var sawColon = false
            while i < line.endIndex, isSpace(line[i]) || line[i] == UInt8(ascii: ":") {
                if line[i] == UInt8(ascii: ":") { sawColon = true }
                i += 1
            }
            guard knownDatabases.contains(name) else {
                if knownDatabases.contains(name.lowercased()) {
                    problems.add(line: number, text: text, "database names are case-sensitive: '\(name)' is ignored by glibc")
                } else if !sawColon {
                    problems.add(line: number, text: text, "not a 'database: services' line; ignored by glibc")
                }
                continue
            }
            if !sawColon {
                problems.add(line: number, text: text, "missing ':' after '\(name)' (glibc accepts it)")
            }
            var lineProblems: [String] = []
            let sources = parseServices(line[i...], problems: &lineProblems)
            for p in lineProblems { problems.add(line: number, text: text, p) }
            guard let sources else { continue }
            if sources.isEmpty {
                problems.add(line: number, text: text, "'\(name)' lists no services: every \(name) lookup finds nothing")
            }
            if let hash = sources.firstIndex(where: { $0.name.hasPrefix("#") }) {
                problems.add(
                    line: number, text: text,
                    "'#' starts a comment only at the start of a line: glibc takes '\(sources[hash].name)' and what follows as service names")
            }
            if let earlier = databases.firstIndex(where: { $0.name == name }) {
                problems.add(
                    line: databases[earlier].line, text: nil,
                    "'\(name)' is defined again on line \(number); glibc uses the last definition")
                databases.remove(at: earlier)
            }
            databases.append(.init(name: name, line: number, sources: sources))
        }
        return NSSwitchConf(databases: databases, problems: problems.finish())
    }

    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }

    /// nss_action_parse; nil on a syntax error (with the reason in `problems`).
    static func parseServices(_ s: ArraySlice<UInt8>, problems: inout [String]) -> [NSSwitchConf.Source]? {
        var out: [NSSwitchConf.Source] = []
        var i = s.startIndex
        let end = s.endIndex
        func skip() { while i < end, isSpace(s[i]) { i += 1 } }
        let fatal = "glibc 2.33 and later reject the whole nsswitch.conf over this (NSS lookups then fail)"
        while true {
            skip()
            if i == end { return out }
            let nameStart = i
            while i < end, !isSpace(s[i]), s[i] != UInt8(ascii: "[") { i += 1 }
            if i == nameStart {
                // A '[' where a service name belongs: glibc stops reading here.
                problems.append("criteria '[…]' without a service before them; glibc ignores the rest of the line")
                return out
            }
            var source = NSSwitchConf.Source(name: ConfigLines.text(s[nameStart..<i]), criteria: [])
            skip()
            if i < end, s[i] == UInt8(ascii: "[") {
                i += 1
                skip()
                repeat {
                    let negated = i < end && s[i] == UInt8(ascii: "!")
                    if negated { i += 1 }
                    let st = i
                    while i < end, !isSpace(s[i]), s[i] != UInt8(ascii: "="), s[i] != UInt8(ascii: "]") { i += 1 }
                    let statusText = ConfigLines.text(s[st..<i])
                    guard let status = statuses.first(where: { $0.caseInsensitiveEquals(statusText) }) else {
                        problems.append(
                            statusText.isEmpty
                                ? "criteria for '\(source.name)' not closed or empty: \(fatal)"
                                : "unknown status '\(statusText)' for '\(source.name)': \(fatal)")
                        return nil
                    }
                    skip()
                    guard i < end, s[i] == UInt8(ascii: "=") else {
                        problems.append("expected '=' after \(statusText) for '\(source.name)': \(fatal)")
                        return nil
                    }
                    i += 1
                    skip()
                    let at = i
                    while i < end, !isSpace(s[i]), s[i] != UInt8(ascii: "="), s[i] != UInt8(ascii: "]") { i += 1 }
                    let actionText = ConfigLines.text(s[at..<i])
                    guard let action = actions.first(where: { $0.caseInsensitiveEquals(actionText) }) else {
                        problems.append("unknown action '\(actionText)' for '\(source.name)': \(fatal)")
                        return nil
                    }
                    source.criteria.append(.init(negated: negated, status: status, action: action))
                    skip()
                } while i < end && s[i] != UInt8(ascii: "]")
                guard i < end else {
                    problems.append("criteria for '\(source.name)' not closed with ']': \(fatal)")
                    return nil
                }
                i += 1
            }
            out.append(source)
        }
    }
}

extension String {
    fileprivate func caseInsensitiveEquals(_ other: String) -> Bool {
        count == other.count && lowercased() == other.lowercased()
    }
}
