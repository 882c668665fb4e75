/// One job of a crontab or anacrontab.
public struct CronEntry: Encodable, Sendable, Equatable {
    public var line: Int
    /// The five time fields joined by one space, or the `@` keyword (`@reboot`);
    /// for anacrontab the period (`1`, `@monthly`).
    public var schedule: String
    /// The job runs at least every ten minutes (`* * * * *`, `*/5 * * * *`).
    public var frequent: Bool
    /// The user field of system crontabs; for a user crontab the file's user; null when unknown.
    public var user: String?
    /// anacrontab only: delay in minutes and job identifier.
    public var delay: String?
    public var jobIdentifier: String?
    /// The command as written (cron's `%` conventions left in place).
    public var command: String
    public var indicators: [CommandIndicator]

    public init(
        line: Int, schedule: String, frequent: Bool, user: String?, delay: String? = nil, jobIdentifier: String? = nil,
        command: String, indicators: [CommandIndicator]
    ) {
        self.line = line
        self.schedule = schedule
        self.frequent = frequent
        self.user = user
        self.delay = delay
        self.jobIdentifier = jobIdentifier
        self.command = command
        self.indicators = indicators
    }
}

/// `NAME=value` in a crontab (cron passes it to every job below it).
public struct CronVariable: Encodable, Sendable, Equatable {
    public var line: Int
    public var name: String
    public var value: String

    public init(line: Int, name: String, value: String) {
        self.line = line
        self.name = name
        self.value = value
    }
}

/// A line of a script (`/etc/cron.daily/x`) with at least one indicator.
public struct ScriptLine: Encodable, Sendable, Equatable {
    public var line: Int
    public var text: String
    public var indicators: [CommandIndicator]

    public init(line: Int, text: String, indicators: [CommandIndicator]) {
        self.line = line
        self.text = text
        self.indicators = indicators
    }
}

/// A parsed crontab, anacrontab or cron script.
package struct CronTable: Encodable, Sendable, Equatable {
    package var entries: [CronEntry]
    package var environment: [CronVariable]
    /// For scripts (`/etc/cron.{hourly,daily,weekly,monthly}/*`): the lines that matched.
    package var scriptLines: [ScriptLine]
    package var problems: [FileProblem]

    package init(
        entries: [CronEntry] = [], environment: [CronVariable] = [], scriptLines: [ScriptLine] = [],
        problems: [FileProblem] = []
    ) {
        self.entries = entries
        self.environment = environment
        self.scriptLines = scriptLines
        self.problems = problems
    }
}

/// Parses crontabs as cronie and Debian's cron read them (`load_entry`,
/// `load_env`): comments start with `#` as the first non-blank character; an
/// environment line is `name = value` (optionally quoted); a job is five time
/// fields or an `@` keyword, then — in `/etc/crontab` and `/etc/cron.d` only —
/// a user name, then the command to the end of the line.
package enum CronParser {
    package enum Format: String, Sendable {
        /// `/etc/crontab`, `/etc/cron.d/*`: with a user field.
        case system
        /// `/var/spool/cron/crontabs/<user>`, `/var/spool/cron/<user>`: no user field.
        case user
        /// `/etc/anacrontab`: period, delay, identifier, command.
        case anacron
    }

    static let specials: Set<String> = [
        "@reboot", "@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly",
    ]

    package static func parse(_ text: String, path: String, format: Format, owner: String? = nil) -> CronTable {
        parse(Array(text.utf8), path: path, format: format, owner: owner)
    }

    /// `owner`: for a user crontab, the user it belongs to (its file name).
    package static func parse(_ bytes: [UInt8], path: String, format: Format, owner: String? = nil) -> CronTable {
        var table = CronTable()
        var problems = ProblemList(path: path)
        let split = ConfigLines.split(bytes)
        if split.hasNUL { problems.add(line: split.firstNULLine, text: nil, "file contains NUL bytes") }
        var entryCount = 0
        for (number, raw) in split.lines {
            var text = ConfigLines.text(raw)
            if text.hasSuffix("\r") { text.removeLast() }
            let trimmed = text.drop(while: { $0 == " " || $0 == "\t" })
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            if let v = environment(String(trimmed), line: number) {
                table.environment.append(v)
                continue
            }
            entryCount += 1
            guard entryCount <= 10_000 else {
                problems.add(line: number, text: nil, "more than 10000 entries; the rest are not listed")
                break
            }
            switch format {
            case .anacron:
                if let e = anacronEntry(String(trimmed), line: number) {
                    table.entries.append(e)
                } else {
                    problems.add(line: number, text: text, "not an anacrontab job (period delay identifier command)")
                }
            case .system, .user:
                switch cronEntry(String(trimmed), line: number, hasUser: format == .system, owner: owner) {
                case .success(let e): table.entries.append(e)
                case .failure(let why): problems.add(line: number, text: text, why.reason)
                }
            }
        }
        table.problems = problems.finish()
        return table
    }

    struct Invalid: Error { var reason: String }

    /// `NAME=value`, `NAME = "value"`; nil when the line is not an assignment.
    static func environment(_ line: String, line number: Int) -> CronVariable? {
        guard let eq = line.firstIndex(of: "=") else { return nil }
        let name = line[line.startIndex..<eq].persistTrimmed
        guard !name.isEmpty, !name.contains(where: { $0 == " " || $0 == "\t" }) else { return nil }
        // A job line's first field is a schedule; a name never starts with `*` or `@`.
        if name.first == "*" || name.first == "@" { return nil }
        var value = String(line[line.index(after: eq)...].persistTrimmed)
        if value.count >= 2, let q = value.first, q == "\"" || q == "'", value.last == q {
            value = String(value.dropFirst().dropLast())
        }
        return CronVariable(line: number, name: String(name), value: value)
    }

    static func cronEntry(_ line: String, line number: Int, hasUser: Bool, owner: String?) -> Result<CronEntry, Invalid> {
        var rest = Substring(line)
        // cronie: a leading `-` turns off syslog logging of the job.
        if rest.hasPrefix("-") { rest = rest.dropFirst() }
        var schedule: String
        var fields: [Substring] = []
        if rest.hasPrefix("@") {
            let (word, after) = nextField(rest)
            guard specials.contains(word.lowercased()) else {
                return .failure(Invalid(reason: "unknown schedule keyword \(word)"))
            }
            schedule = word.lowercased()
            rest = after
        } else {
            for _ in 0..<5 {
                let (word, after) = nextField(rest)
                guard !word.isEmpty else { return .failure(Invalid(reason: "fewer than five time fields")) }
                fields.append(word)
                rest = after
            }
            for (i, f) in fields.enumerated() where !validTimeField(f) {
                let names = ["minute", "hour", "day of month", "month", "day of week"]
                return .failure(Invalid(reason: "invalid \(names[i]) field '\(f)'"))
            }
            schedule = fields.joined(separator: " ")
        }
        var user = owner
        if hasUser {
            let (word, after) = nextField(rest)
            guard !word.isEmpty else { return .failure(Invalid(reason: "no user field")) }
            user = String(word)
            rest = after
        }
        let command = String(rest.persistTrimmed)
        guard !command.isEmpty else { return .failure(Invalid(reason: "no command")) }
        let frequent = !fields.isEmpty && fields[1] == "*" && minuteIsFrequent(fields[0])
        return .success(
            CronEntry(
                line: number, schedule: schedule, frequent: frequent, user: user, command: command,
                indicators: CommandIndicators.scan(executableText(command))))
    }

    static func anacronEntry(_ line: String, line number: Int) -> CronEntry? {
        var rest = Substring(line)
        var parts: [Substring] = []
        for _ in 0..<3 {
            let (word, after) = nextField(rest)
            guard !word.isEmpty else { return nil }
            parts.append(word)
            rest = after
        }
        let command = String(rest.persistTrimmed)
        guard !command.isEmpty, parts[0].allSatisfy(\.isNumber) || parts[0].hasPrefix("@"),
            parts[1].allSatisfy(\.isNumber)
        else { return nil }
        return CronEntry(
            line: number, schedule: String(parts[0]), frequent: false, user: "root", delay: String(parts[1]),
            jobIdentifier: String(parts[2]), command: command, indicators: CommandIndicators.scan(command))
    }

    /// The part of a cron command the shell runs: up to the first unescaped `%`
    /// (the rest is the job's standard input), with `\%` turned into `%`.
    package static func executableText(_ command: String) -> String {
        var out = ""
        var escaped = false
        for c in command {
            if escaped {
                if c != "%" { out.append("\\") }
                out.append(c)
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else if c == "%" {
                break
            } else {
                out.append(c)
            }
        }
        if escaped { out.append("\\") }
        return out
    }

    static func nextField(_ s: Substring) -> (Substring, Substring) {
        let start = s.drop(while: { $0 == " " || $0 == "\t" })
        let end = start.firstIndex(where: { $0 == " " || $0 == "\t" }) ?? start.endIndex
        return (start[start.startIndex..<end], start[end...])
    }

    static func validTimeField(_ f: Substring) -> Bool {
        f.allSatisfy { $0.isASCII && ($0.isNumber || $0.isLetter || "*,-/?~".contains($0)) }
    }

    /// `*`, `*/n` or `0-59/n` with n ≤ 10.
    static func minuteIsFrequent(_ f: Substring) -> Bool {
        if f == "*" { return true }
        guard let slash = f.firstIndex(of: "/") else { return false }
        let range = f[f.startIndex..<slash]
        guard range == "*" || range == "0-59" else { return false }
        guard let n = Int(f[f.index(after: slash)...]) else { return false }
        return n >= 1 && n <= 10
    }

    /// A shell script (`/etc/cron.daily/*`): scans each command line, joining
    /// backslash continuations, and keeps the lines with indicators.
    package static func parseScript(_ bytes: [UInt8], path: String) -> CronTable {
        var table = CronTable()
        var problems = ProblemList(path: path)
        let split = ConfigLines.split(bytes)
        if split.hasNUL { problems.add(line: split.firstNULLine, text: nil, "file contains NUL bytes (binary?)") }
        var pending = ""
        var pendingLine = 0
        for (number, raw) in split.lines {
            var text = ConfigLines.text(ConfigLines.cString(raw))
            if text.hasSuffix("\r") { text.removeLast() }
            if pending.isEmpty { pendingLine = number }
            if text.hasSuffix("\\") {
                pending += text.dropLast() + " "
                continue
            }
            let full = pending + text
            pending = ""
            let trimmed = full.drop(while: { $0 == " " || $0 == "\t" })
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let indicators = CommandIndicators.scan(String(trimmed))
            if !indicators.isEmpty, table.scriptLines.count < 1000 {
                table.scriptLines.append(ScriptLine(line: pendingLine, text: String(trimmed.prefix(1000)), indicators: indicators))
            }
        }
        table.problems = problems.finish()
        return table
    }
}

extension StringProtocol {
    var persistTrimmed: SubSequence {
        let start = firstIndex(where: { $0 != " " && $0 != "\t" }) ?? endIndex
        let end = lastIndex(where: { $0 != " " && $0 != "\t" }).map { index(after: $0) } ?? start
        return self[start..<Swift.max(start, end)]
    }
}
