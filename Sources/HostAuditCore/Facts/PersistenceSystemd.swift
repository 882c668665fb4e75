/// One `Key=Value` of a unit file, after joining continuation lines.
package struct UnitSetting: Sendable, Equatable {
    package var section: String
    package var key: String
    package var value: String
    /// The line the setting starts on.
    package var line: Int

    package init(section: String, key: String, value: String, line: Int) {
        self.section = section
        self.key = key
        self.value = value
        self.line = line
    }
}

/// A command a unit runs (`ExecStart=`, `ExecStartPre=`, `ExecStartPost=`, …).
public struct UnitExec: Encodable, Sendable, Equatable {
    public var line: Int
    public var key: String
    /// systemd's special prefixes as written (`-`, `@`, `+`, `!`, `!!`, `:`).
    public var prefixes: String
    /// The program path (first word after the prefixes).
    public var program: String
    /// The whole command line after the prefixes.
    public var commandLine: String
    /// `system` (/usr, /bin, /sbin, /lib*, /opt, /snap), `temp` (/tmp, /var/tmp,
    /// /dev/shm), `dot-dir`, `relative` (no slash: looked up in systemd's path) or `other`.
    public var programLocation: String
    public var indicators: [CommandIndicator]

    public init(
        line: Int, key: String, prefixes: String, program: String, commandLine: String, programLocation: String,
        indicators: [CommandIndicator]
    ) {
        self.line = line
        self.key = key
        self.prefixes = prefixes
        self.program = program
        self.commandLine = commandLine
        self.programLocation = programLocation
        self.indicators = indicators
    }
}

package struct ParsedUnit: Sendable, Equatable {
    package var settings: [UnitSetting]
    package var problems: [FileProblem]

    package init(settings: [UnitSetting] = [], problems: [FileProblem] = []) {
        self.settings = settings
        self.problems = problems
    }

    /// The last value of `key` in `section`.
    package func value(_ section: String, _ key: String) -> String? {
        settings.last { $0.section == section && $0.key == key }?.value
    }

    /// The command keys hostaudit inspects.
    static let execKeys: Set<String> = [
        "ExecStart", "ExecStartPre", "ExecStartPost", "ExecReload", "ExecStop", "ExecStopPost", "ExecCondition",
    ]

    /// Every command of the `Exec*` keys, in file order. An empty assignment
    /// resets the list (as in a drop-in); `;` as its own word separates commands.
    package var execs: [UnitExec] {
        var out: [UnitExec] = []
        for s in settings where Self.execKeys.contains(s.key) {
            if s.value.persistTrimmed.isEmpty {
                out.removeAll { $0.key == s.key }
                continue
            }
            for command in Self.splitCommands(s.value) {
                out.append(Self.exec(command, key: s.key, line: s.line))
            }
        }
        return out
    }

    /// Splits at a lone `;` word outside quotes (systemd's command separator).
    static func splitCommands(_ value: String) -> [String] {
        var commands: [String] = []
        var current = ""
        var quote: Character? = nil
        let chars = Array(value)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if let q = quote {
                if c == "\\", i + 1 < chars.count {
                    current.append(c)
                    current.append(chars[i + 1])
                    i += 2
                    continue
                }
                if c == q { quote = nil }
                current.append(c)
            } else if c == "\"" || c == "'" {
                quote = c
                current.append(c)
            } else if c == ";", i == 0 || chars[i - 1] == " " || chars[i - 1] == "\t",
                i + 1 == chars.count || chars[i + 1] == " " || chars[i + 1] == "\t"
            {
                let t = current.persistTrimmed
                if !t.isEmpty { commands.append(String(t)) }
                current = ""
            } else {
                current.append(c)
            }
            i += 1
        }
        let t = current.persistTrimmed
        if !t.isEmpty { commands.append(String(t)) }
        return commands
    }

    static func exec(_ command: String, key: String, line: Int) -> UnitExec {
        var rest = Substring(command.persistTrimmed)
        var prefixes = ""
        while let c = rest.first, "-@+!:|".contains(c) {
            prefixes.append(c)
            rest = rest.dropFirst()
        }
        let words = ShellCommand.parse(String(rest)).first?.words ?? []
        let program = words.first ?? String(rest)
        let location: String
        if let cls = SuspiciousPath.classify(program) {
            location = cls
        } else if !program.contains("/") {
            location = "relative"
        } else if ["/usr/", "/bin/", "/sbin/", "/lib/", "/lib64/", "/lib32/", "/opt/", "/snap/"].contains(where: program.hasPrefix) {
            location = "system"
        } else {
            location = "other"
        }
        var indicators = CommandIndicators.scan(String(rest))
        if let cls = SuspiciousPath.classify(program) {
            let i = CommandIndicator(indicator: cls == "temp" ? "exec-from-temp" : "exec-from-dot-dir", match: program)
            if !indicators.contains(i) { indicators.insert(i, at: 0) }
        }
        return UnitExec(
            line: line, key: key, prefixes: prefixes, program: program, commandLine: String(rest),
            programLocation: location, indicators: indicators)
    }
}

/// Parses systemd unit files and drop-ins (systemd's `config_parse`): `[Section]`
/// headers; `#` and `;` comments; `Key=Value` with white space around both trimmed;
/// a line ending in `\` continues on the next (the backslash becomes a space,
/// comment lines inside a continuation are skipped).
package enum UnitFileParser {
    package static func parse(_ text: String, path: String) -> ParsedUnit { parse(Array(text.utf8), path: path) }

    package static func parse(_ bytes: [UInt8], path: String) -> ParsedUnit {
        var unit = ParsedUnit()
        var problems = ProblemList(path: path)
        let split = ConfigLines.split(bytes)
        if split.hasNUL { problems.add(line: split.firstNULLine, text: nil, "file contains NUL bytes") }
        var section = ""
        var pending: String? = nil
        var pendingLine = 0
        for (number, raw) in split.lines {
            var text = ConfigLines.text(ConfigLines.cString(raw))
            if text.hasSuffix("\r") { text.removeLast() }
            let trimmed = String(text.persistTrimmed)
            if pending != nil && (trimmed.hasPrefix("#") || trimmed.hasPrefix(";")) { continue }
            var logical: String
            if let p = pending {
                logical = p + trimmed
            } else {
                logical = trimmed
                pendingLine = number
            }
            if logical.hasSuffix("\\") {
                pending = String(logical.dropLast()) + " "
                continue
            }
            pending = nil
            if logical.isEmpty || logical.hasPrefix("#") || logical.hasPrefix(";") { continue }
            if logical.hasPrefix("[") {
                if logical.hasSuffix("]") {
                    section = String(logical.dropFirst().dropLast())
                } else {
                    problems.add(line: pendingLine, text: logical, "invalid section header")
                }
                continue
            }
            guard let eq = logical.firstIndex(of: "=") else {
                problems.add(line: pendingLine, text: logical, "missing '='")
                continue
            }
            let key = String(logical[logical.startIndex..<eq].persistTrimmed)
            let value = String(logical[logical.index(after: eq)...].persistTrimmed)
            if section.isEmpty { problems.add(line: pendingLine, text: logical, "assignment outside of a section") }
            if unit.settings.count < 5000 {
                unit.settings.append(UnitSetting(section: section, key: key, value: value, line: pendingLine))
            }
        }
        if let p = pending, !p.persistTrimmed.isEmpty {
            problems.add(line: pendingLine, text: nil, "file ends inside a continuation line")
            if let eq = p.firstIndex(of: "=") {
                unit.settings.append(
                    UnitSetting(
                        section: section, key: String(p[p.startIndex..<eq].persistTrimmed),
                        value: String(p[p.index(after: eq)...].persistTrimmed), line: pendingLine))
            }
        }
        unit.problems = problems.finish()
        return unit
    }

    /// Unit names miners have used (docs/miners.md §5, systemd row).
    package static let knownMinerUnitNames: Set<String> = [
        "moneroocean_miner.service", "c3pool_miner.service", "pnsd.service", "apache4.service", "pastebin.service",
        "xvf.service", "cmake.service", "bot.service",
    ]
}
