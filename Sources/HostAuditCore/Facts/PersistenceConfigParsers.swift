/// A `key = value` of a sysctl.d file.
package struct SysctlAssignment: Sendable, Equatable {
    /// Dotted form (`vm.nr_hugepages`), also when the file wrote `vm/nr_hugepages`.
    package var key: String
    package var value: String
    package var line: Int
    /// A leading `-`: systemd-sysctl ignores a failure to apply it.
    package var ignoreFailure: Bool
}

/// sysctl.d(5): `#` and `;` comments, `key = value`, an optional leading `-`;
/// a key whose first separator is `/` uses `/` for `.` and vice versa.
package enum SysctlConfParser {
    package static func parse(_ bytes: [UInt8], path: String) -> (assignments: [SysctlAssignment], problems: [FileProblem]) {
        let r = parseEntries(bytes, path: path)
        return (r.entries.compactMap { e in e.value.map { SysctlAssignment(key: e.key, value: $0, line: e.line, ignoreFailure: e.ignoreFailure) } }, r.problems)
    }

    /// One line of a sysctl.d file: an assignment, or (value nil) a `-key`
    /// line without `=`, which systemd-sysctl reads as "exclude this key from
    /// the globs" (a negative match).
    package struct Entry: Sendable, Equatable {
        package var key: String
        package var value: String?
        package var line: Int
        package var ignoreFailure: Bool
    }

    static func parseEntries(_ bytes: [UInt8], path: String) -> (entries: [Entry], problems: [FileProblem]) {
        var out: [Entry] = []
        var problems = ProblemList(path: path)
        for (number, raw) in ConfigLines.split(bytes).lines {
            let text = ConfigLines.text(ConfigLines.cString(raw))
            let trimmed = text.persistTrimmed.persistTrimmingCR
            if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix(";") { continue }
            guard let eq = trimmed.firstIndex(of: "=") else {
                if trimmed.hasPrefix("-"), trimmed.count > 1 {
                    let key = String(trimmed.dropFirst().persistTrimmed)
                    out.append(Entry(key: normalizeKey(key), value: nil, line: number, ignoreFailure: true))
                    continue
                }
                problems.add(line: number, text: String(trimmed), "line is not 'key = value'")
                continue
            }
            var key = String(trimmed[trimmed.startIndex..<eq].persistTrimmed)
            let value = String(trimmed[trimmed.index(after: eq)...].persistTrimmed)
            var ignore = false
            if key.hasPrefix("-") {
                ignore = true
                key.removeFirst()
            }
            out.append(Entry(key: normalizeKey(String(key.persistTrimmed)), value: value, line: number, ignoreFailure: ignore))
        }
        return (out, problems.finish())
    }

    static func normalizeKey(_ key: String) -> String {
        guard let sep = key.firstIndex(where: { $0 == "." || $0 == "/" }), key[sep] == "/" else { return key }
        return String(key.map { $0 == "/" ? "." : ($0 == "." ? "/" : $0) })
    }
}

/// A directive of a modprobe.d file (`options`, `install`, `blacklist`, …).
package struct ModprobeDirective: Sendable, Equatable {
    package var line: Int
    package var directive: String
    /// The module name with `-` written as `_` (modprobe treats them alike).
    package var module: String
    /// The rest of the line after the module name.
    package var arguments: String
}

/// modprobe.d(5): `#` comments, `\` continues a line, directives separated by blanks.
package enum ModprobeConfParser {
    package static func parse(_ bytes: [UInt8], path: String) -> (directives: [ModprobeDirective], problems: [FileProblem]) {
        var out: [ModprobeDirective] = []
        var problems = ProblemList(path: path)
        var pending = ""
        var pendingLine = 0
        let known: Set<String> = ["alias", "options", "install", "remove", "blacklist", "softdep", "include"]
        for (number, raw) in ConfigLines.split(bytes).lines {
            let text = String(ConfigLines.text(ConfigLines.cString(raw)).persistTrimmingCR)
            if pending.isEmpty { pendingLine = number }
            if text.hasSuffix("\\") {
                pending += text.dropLast()
                continue
            }
            let full = pending + text
            pending = ""
            let trimmed = full.persistTrimmed
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let words = trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" })
            let directive = String(words[0])
            guard known.contains(directive) else {
                problems.add(line: pendingLine, text: String(trimmed), "unknown directive '\(directive)'")
                continue
            }
            guard words.count >= 2 else {
                problems.add(line: pendingLine, text: String(trimmed), "\(directive) without a module")
                continue
            }
            let afterModule = trimmed[words[1].endIndex...].persistTrimmed
            out.append(
                ModprobeDirective(
                    line: pendingLine, directive: directive, module: String(words[1].map { $0 == "-" ? "_" : $0 }),
                    arguments: String(afterModule)))
        }
        return (out, problems.finish())
    }

    /// `name=value` parameters of an `options` line (quoted values kept whole).
    package static func parameters(_ arguments: String) -> [(name: String, value: String?)] {
        ShellCommand.parse(arguments).first?.words.map { word in
            if let eq = word.firstIndex(of: "=") {
                return (String(word[word.startIndex..<eq]), String(word[word.index(after: eq)...]))
            }
            return (word, nil)
        } ?? []
    }
}

/// modules-load.d(5) and Debian's /etc/modules: one module per line, `#`/`;` comments.
package enum ModulesLoadParser {
    package static func parse(_ bytes: [UInt8]) -> [(line: Int, module: String)] {
        ConfigLines.split(bytes).lines.compactMap { number, raw in
            let t = ConfigLines.text(ConfigLines.cString(raw)).persistTrimmed.persistTrimmingCR
            if t.isEmpty || t.hasPrefix("#") || t.hasPrefix(";") { return nil }
            let name = t.split(whereSeparator: { $0 == " " || $0 == "\t" })[0]
            return (number, String(name.map { $0 == "-" ? "_" : $0 }))
        }
    }
}

/// `/etc/ld.so.preload` as glibc's rtld reads it: `#` starts a comment to the
/// end of the line; names are separated by blanks, newlines or `:`.
package enum LdSoPreloadParser {
    package static func parse(_ bytes: [UInt8]) -> [(line: Int, library: String)] {
        var out: [(Int, String)] = []
        for (number, raw) in ConfigLines.split(bytes).lines {
            let line = ConfigLines.cString(raw)
            let content = line.firstIndex(of: UInt8(ascii: "#")).map { line[line.startIndex..<$0] } ?? line
            for word in content.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D || $0 == UInt8(ascii: ":") }) {
                out.append((number, ConfigLines.text(word)))
            }
        }
        return out
    }
}

/// One account of /etc/passwd.
package struct PasswdAccount: Sendable, Equatable {
    package var name: String
    package var uid: Int?
    package var home: String
    package var shell: String
    package var line: Int

    package init(name: String, uid: Int?, home: String, shell: String, line: Int) {
        self.name = name
        self.uid = uid
        self.home = home
        self.shell = shell
        self.line = line
    }
}

/// /etc/passwd: seven `:`-separated fields; NIS `+`/`-` lines are skipped.
package enum PasswdParser {
    package static func parse(_ bytes: [UInt8]) -> [PasswdAccount] {
        ConfigLines.split(bytes).lines.compactMap { number, raw in
            let t = ConfigLines.text(ConfigLines.cString(raw)).persistTrimmingCR
            guard !t.isEmpty, !t.hasPrefix("#"), !t.hasPrefix("+"), !t.hasPrefix("-") else { return nil }
            let f = t.split(separator: ":", omittingEmptySubsequences: false)
            guard f.count >= 7 else { return nil }
            return PasswdAccount(name: String(f[0]), uid: Int(f[2]), home: String(f[5]), shell: String(f[6]), line: number)
        }
    }
}

extension StringProtocol {
    var persistTrimmingCR: SubSequence {
        var s = self[startIndex..<endIndex]
        while s.last == "\r" { s = s.dropLast() }
        return s
    }
}
