/// One reason a command line (a cron job, a unit's ExecStart, a line of a cron
/// script) looks like download-and-run or staging from a temporary place.
///
/// `indicator` is one of:
/// - `download-pipe-shell`: a downloader (curl, wget, fetch, lynx, the renamed
///   `wge`/`cur`/`cdt`/`wdt`, `python -c`, `perl -e`) piped into a shell or
///   interpreter (docs/miners.md C14; Skidmap, Rocke, Kinsing crontabs)
/// - `download-subst-shell`: a shell, `eval` or `source` running a downloader's
///   output through `$(…)`, backticks or `<(…)`
/// - `download-then-exec`: a downloader writes a file that a later command of
///   the same line runs or makes executable (`lynx -source … > .cmd && bash .cmd`)
/// - `base64-pipe-shell`: `base64 -d` piped into a shell; `base64-decode` alone
/// - `dev-tcp`: bash's `/dev/tcp/` or `/dev/udp/` (reverse shells)
/// - `netcat-exec`: `nc`/`ncat`/`netcat` with `-e`/`-c`
/// - `inline-interpreter-network`: `python -c`/`perl -e`/`php -r` whose code
///   mentions a URL, `urllib`, `urlopen`, `socket` or `requests`
/// - `exec-from-temp`, `exec-from-dot-dir`: the program run lives in /tmp,
///   /var/tmp, /dev/shm (or the line `cd`s there and runs `./x`), or in a
///   directory whose name starts with a dot
/// - `write-to-temp`, `write-to-dot-dir`: output redirected (or downloaded with
///   `-o`/`-O`) into such a place
public struct CommandIndicator: Encodable, Sendable, Equatable, Hashable {
    public var indicator: String
    /// The part of the command that matched.
    public var match: String

    public init(indicator: String, match: String) {
        self.indicator = indicator
        self.match = match
    }
}

/// Where a path lives, for the "staged in a temporary place" indicators.
package enum SuspiciousPath {
    static let tempPrefixes = ["/tmp/", "/var/tmp/", "/dev/shm/", "/run/shm/"]

    /// `temp` for a path in a world-writable temporary directory, `dot-dir` for
    /// one with a directory component starting with a dot (`/root/.cache/x`,
    /// `~/.x/y`), else nil. Only absolute or home-relative paths count.
    /// Compared as UTF-8 bytes, never as grapheme clusters: "/dev/shm/" followed
    /// by a combining mark, or a "." with one, must still count.
    package static func classify(_ path: String) -> String? {
        guard ByteText.hasPrefix(path, "/") || ByteText.hasPrefix(path, "~/") || ByteText.hasPrefix(path, "$HOME/")
            || ByteText.hasPrefix(path, "${HOME}/")
        else { return nil }
        let normal = collapse(path)
        for p in tempPrefixes where ByteText.hasPrefix(normal, p) || ByteText.equals(normal + "/", p) { return "temp" }
        let dot = UInt8(ascii: ".")
        let parts = normal.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true)
        for part in parts.dropLast()
        where part.first == dot && !part.elementsEqual([dot]) && !part.elementsEqual([dot, dot]) {
            return "dot-dir"
        }
        return nil
    }

    /// `//tmp/./x` → `/tmp/x` (no `..` handling beyond dropping the previous part).
    static func collapse(_ path: String) -> String {
        let dot = UInt8(ascii: ".")
        var out: [Substring.UTF8View] = []
        for part in path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true) {
            if part.elementsEqual([dot]) { continue }
            if part.elementsEqual([dot, dot]) {
                if !out.isEmpty { out.removeLast() }
                continue
            }
            out.append(part)
        }
        let joined = String(decoding: Array(out.joined(separator: [UInt8(ascii: "/")])), as: UTF8.self)
        return ByteText.hasPrefix(path, "/") ? "/" + joined : joined
    }
}

/// A small POSIX-shell tokenizer, enough to see pipelines, sequences,
/// redirections and which program each simple command runs. It never fails:
/// unbalanced quotes end at the end of the line.
package enum ShellCommand {
    package struct Simple: Sendable, Equatable {
        /// Words without redirections, quotes removed.
        package var words: [String]
        /// Redirection operator and target (`>`, `>>`, `<`, `&>`…).
        package var redirects: [(op: String, target: String)]
        /// True when this command reads the previous one's output (`|`).
        package var pipedFrom: Bool

        package static func == (a: Simple, b: Simple) -> Bool {
            a.words == b.words && a.pipedFrom == b.pipedFrom && a.redirects.map(\.op) == b.redirects.map(\.op)
                && a.redirects.map(\.target) == b.redirects.map(\.target)
        }
    }

    enum Token: Equatable {
        case word(String)
        case op(String)
    }

    static func tokenize(_ line: String) -> [Token] {
        var tokens: [Token] = []
        let chars = Array(line.unicodeScalars)
        var i = 0
        var word = ""
        var inWord = false
        func flush() {
            if inWord { tokens.append(.word(word)) }
            word = ""
            inWord = false
        }
        /// Appends `(…)` from `i` through its matching `)` (or to the end of the line).
        func appendParenthesized() {
            var depth = 0
            while i < chars.count {
                if chars[i] == "(" { depth += 1 }
                if chars[i] == ")" { depth -= 1 }
                word.unicodeScalars.append(chars[i])
                i += 1
                if depth == 0 { break }
            }
        }
        while i < chars.count {
            let c = chars[i]
            switch c {
            case " ", "\t", "\n", "\r":
                flush()
                i += 1
            case "'":
                inWord = true
                i += 1
                while i < chars.count && chars[i] != "'" {
                    word.unicodeScalars.append(chars[i])
                    i += 1
                }
                i += 1
            case "\"":
                inWord = true
                i += 1
                while i < chars.count && chars[i] != "\"" {
                    if chars[i] == "\\" && i + 1 < chars.count {
                        word.unicodeScalars.append(chars[i + 1])
                        i += 2
                        continue
                    }
                    word.unicodeScalars.append(chars[i])
                    i += 1
                }
                i += 1
            case "\\":
                inWord = true
                if i + 1 < chars.count { word.unicodeScalars.append(chars[i + 1]) }
                i += 2
            case "$" where i + 1 < chars.count && chars[i + 1] == "(":
                // Command substitution stays inside the word, parentheses balanced.
                inWord = true
                appendParenthesized()
            case "`":
                inWord = true
                word.unicodeScalars.append(c)
                i += 1
                while i < chars.count && chars[i] != "`" {
                    word.unicodeScalars.append(chars[i])
                    i += 1
                }
                if i < chars.count { word.unicodeScalars.append("`") }
                i += 1
            case "<" where i + 1 < chars.count && chars[i + 1] == "(":
                // Process substitution: one word.
                flush()
                inWord = true
                i += 1
                word = "<"
                appendParenthesized()
                flush()
            case "|", "&", ";", ">", "<", "(", ")":
                // A word of digits right before a redirection is its fd (`2>`).
                if (c == ">" || c == "<") && inWord && !word.isEmpty && word.unicodeScalars.allSatisfy({ $0.properties.numericType != nil }) {
                    word = ""
                    inWord = false
                }
                flush()
                let next: Unicode.Scalar? = i + 1 < chars.count ? chars[i + 1] : nil
                var op = String(c)
                if let n = next {
                    let two = String(c) + String(n)
                    if ["||", "&&", ">>", ">&", "&>", ";;", "<<", ">|"].contains(two) { op = two }
                }
                i += op.unicodeScalars.count
                if op == "&>" || op == ">&", i < chars.count, chars[i] == ">" { i += 1 }  // &>>
                tokens.append(.op(op))
            default:
                inWord = true
                word.unicodeScalars.append(c)
                i += 1
            }
        }
        flush()
        return tokens
    }

    /// Splits a line into simple commands, in order. `;`, `&&`, `||`, `&` and
    /// newlines separate; `|` pipes; `(`, `)` are dropped.
    package static func parse(_ line: String) -> [Simple] {
        var out: [Simple] = []
        var current = Simple(words: [], redirects: [], pipedFrom: false)
        var pendingRedirect: String? = nil
        func finish(piped: Bool) {
            if !current.words.isEmpty || !current.redirects.isEmpty { out.append(current) }
            current = Simple(words: [], redirects: [], pipedFrom: piped)
        }
        for token in tokenize(line) {
            switch token {
            case .word(let w):
                if let r = pendingRedirect {
                    current.redirects.append((r, w))
                    pendingRedirect = nil
                } else {
                    current.words.append(w)
                }
            case .op(let op):
                pendingRedirect = nil
                switch op {
                case "|": finish(piped: true)
                case ";", "&&", "||", "&", ";;": finish(piped: false)
                case ">", ">>", "<", ">&", "&>", ">|", "<<": pendingRedirect = op
                default: break
                }
            }
        }
        finish(piped: false)
        return out
    }

    static let wrappers: Set<String> = [
        "sudo", "nohup", "exec", "env", "nice", "ionice", "setsid", "command", "time", "stdbuf", "timeout", "su",
        "busybox", "chronic", "flock", "doas", "runuser",
    ]

    /// The program a simple command runs, past env assignments and wrappers
    /// (`sudo -u x nohup env A=1 /tmp/x`), with the index of its word.
    package static func program(_ words: [String]) -> (name: String, index: Int)? {
        var i = 0
        var wrapper: String? = nil
        while i < words.count {
            let w = words[i]
            if wrapper != nil && w.hasPrefix("-") {
                i += 1
                // Options taking a value.
                if ["-u", "-g", "-n", "-c", "-s", "-w", "-E", "-C"].contains(w), wrapper != "busybox", wrapper != "su",
                    i < words.count
                {
                    i += 1
                }
                continue
            }
            if let eq = w.firstIndex(of: "="), eq != w.startIndex,
                w[w.startIndex..<eq].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" })
            {
                i += 1
                continue
            }
            let base = basename(w)
            if wrappers.contains(base) {
                wrapper = base
                i += 1
                // timeout DURATION, flock FILE, nice N.
                if base == "timeout" || base == "flock", i < words.count, !words[i].hasPrefix("-") { i += 1 }
                continue
            }
            if wrapper == "timeout", w.first?.isNumber == true {
                i += 1
                continue
            }
            return (w, i)
        }
        return nil
    }

    static func basename(_ path: String) -> String {
        if let slash = path.lastIndex(of: "/") { return String(path[path.index(after: slash)...]) }
        return path
    }
}

/// Scans command lines for the indicators of `CommandIndicator`.
package enum CommandIndicators {
    static let downloaders: Set<String> = ["curl", "wget", "fetch", "lynx", "wge", "cur", "cdt", "wdt", "tftp", "aria2c"]
    static let shells: Set<String> = ["sh", "bash", "dash", "zsh", "ksh", "ash", "mksh", "csh", "tcsh", "fish"]
    static let interpreters: Set<String> = ["perl", "ruby", "php", "node", "lua"]

    static func isShell(_ name: String) -> Bool { shells.contains(ShellCommand.basename(name)) }

    static func isInterpreter(_ name: String) -> Bool {
        let b = ShellCommand.basename(name)
        return isShell(b) || interpreters.contains(b) || b.hasPrefix("python")
    }

    /// `python -c`, `perl -e`, `php -r` and similar inline code.
    static func inlineCode(_ words: [String], programIndex: Int) -> String? {
        let b = ShellCommand.basename(words[programIndex])
        let flag: String
        if b.hasPrefix("python") { flag = "-c" } else if b == "perl" || b == "ruby" || b == "node" { flag = "-e" } else if b == "php" { flag = "-r" } else { return nil }
        guard let k = words[(programIndex + 1)...].firstIndex(where: { $0 == flag || ($0.hasPrefix("-") && !$0.hasPrefix("--") && $0.hasSuffix(String(flag.dropFirst()))) }),
            k + 1 < words.count
        else { return nil }
        return words[k + 1]
    }

    static func isDownloader(_ words: [String], programIndex: Int) -> Bool {
        downloaders.contains(ShellCommand.basename(words[programIndex]).lowercased())
            || inlineCode(words, programIndex: programIndex) != nil
    }

    static let networkWords = ["http://", "https://", "ftp://", "urllib", "urlopen", "socket", "requests.get", "lwp::", "io::socket", "file_get_contents(\"http", "fsockopen"]

    /// Whether a word contains a downloader run through substitution.
    static func substitutedDownloader(_ word: String) -> Bool {
        guard word.contains("$(") || word.contains("`") || word.hasPrefix("<(") else { return false }
        let inner = String(word.map { "$()`<".contains($0) ? " " : $0 })
        return ShellCommand.parse(inner).contains { cmd in
            guard let p = ShellCommand.program(cmd.words) else { return false }
            return isDownloader(cmd.words, programIndex: p.index)
        }
    }

    /// The file a downloader writes, if named (`-o F`, `-O F`, `--output F`, `> F`).
    static func downloadTarget(_ cmd: ShellCommand.Simple, programIndex: Int) -> String? {
        let words = cmd.words
        var i = programIndex + 1
        while i < words.count {
            let w = words[i]
            if (w == "-o" || w == "-O" || w == "--output" || w == "--output-document") && i + 1 < words.count {
                if words[i + 1] != "-" { return words[i + 1] }
            }
            for p in ["--output-document=", "--output="] where w.hasPrefix(p) { return String(w.dropFirst(p.count)) }
            i += 1
        }
        return cmd.redirects.first { $0.op == ">" || $0.op == ">>" || $0.op == ">|" }?.target
    }

    package static func scan(_ line: String) -> [CommandIndicator] { scan(line, depth: 0) }

    static func scan(_ line: String, depth: Int) -> [CommandIndicator] {
        var found: [CommandIndicator] = []
        func add(_ indicator: String, _ match: String) {
            let i = CommandIndicator(indicator: indicator, match: String(match.prefix(200)))
            if !found.contains(i) { found.append(i) }
        }
        let lower = line.lowercased()
        for marker in ["/dev/tcp/", "/dev/udp/"] where lower.contains(marker) { add("dev-tcp", marker) }

        let commands = ShellCommand.parse(line)
        var downloadedFiles: [String] = []
        var cwdIsTemp: String? = nil
        // The earliest command of the current pipeline that downloads or base64-decodes.
        var pipelineDownloader: String? = nil
        var pipelineBase64: String? = nil
        for cmd in commands {
            if !cmd.pipedFrom {
                pipelineDownloader = nil
                pipelineBase64 = nil
            }
            guard let (program, p) = ShellCommand.program(cmd.words) else { continue }
            let base = ShellCommand.basename(program)
            let text = cmd.words.joined(separator: " ")

            if cmd.pipedFrom && isInterpreter(program) {
                if let d = pipelineDownloader { add("download-pipe-shell", d + " | " + text) }
                if let b = pipelineBase64 { add("base64-pipe-shell", b + " | " + text) }
            }
            if base == "base64" && cmd.words[(p + 1)...].contains(where: { $0 == "-d" || $0 == "--decode" || $0 == "-D" || $0 == "-di" }) {
                pipelineBase64 = pipelineBase64 ?? text
            }
            if isDownloader(cmd.words, programIndex: p) {
                pipelineDownloader = pipelineDownloader ?? text
                if let target = downloadTarget(cmd, programIndex: p) { downloadedFiles.append(target) }
            }
            if isShell(program) || base == "eval" || base == "source" || base == "." || isInterpreter(program) {
                if cmd.words[p...].contains(where: substitutedDownloader) { add("download-subst-shell", text) }
            }
            // `sh -c "…"`: the string is a command line of its own.
            var shellCode: String? = nil
            if isShell(program),
                let k = cmd.words[(p + 1)...].firstIndex(where: { $0 == "-c" || ($0.hasPrefix("-") && !$0.hasPrefix("--") && $0.hasSuffix("c")) }),
                k + 1 < cmd.words.count
            {
                shellCode = cmd.words[k + 1]
                if depth < 4 { for i in scan(cmd.words[k + 1], depth: depth + 1) { add(i.indicator, i.match) } }
            }
            if let code = inlineCode(cmd.words, programIndex: p) {
                let c = code.lowercased()
                if let w = networkWords.first(where: { c.contains($0) }) { add("inline-interpreter-network", base + " … " + w) }
            }
            if ["nc", "ncat", "netcat"].contains(base), cmd.words[(p + 1)...].contains(where: { $0 == "-e" || $0 == "-c" }) {
                add("netcat-exec", text)
            }
            // What this command runs: the program, or the script a shell is given.
            var runs: [String] = [program]
            if isInterpreter(program), shellCode == nil, inlineCode(cmd.words, programIndex: p) == nil,
                let script = cmd.words[(p + 1)...].first(where: { !$0.hasPrefix("-") })
            {
                runs.append(script)
            }
            if base == "chmod", cmd.words[(p + 1)...].contains(where: { $0.contains("x") && ($0.hasPrefix("+") || $0.hasPrefix("u+") || $0.hasPrefix("a+") || $0.first?.isNumber == true) }) {
                runs.append(contentsOf: cmd.words[(p + 1)...].filter { !$0.hasPrefix("+") && !$0.hasPrefix("-") && $0.first?.isNumber != true })
            }
            for r in runs {
                if downloadedFiles.contains(where: { ShellCommand.basename($0) == ShellCommand.basename(r) && !r.isEmpty })
                    && !isDownloader(cmd.words, programIndex: p)
                {
                    add("download-then-exec", text)
                }
            }
            if base == "cd", p + 1 < cmd.words.count {
                cwdIsTemp = SuspiciousPath.classify(cmd.words[p + 1] + "/") != nil ? cmd.words[p + 1] : nil
            }
            for r in runs where base != "chmod" || r != program {
                if let cls = SuspiciousPath.classify(r) {
                    add(cls == "temp" ? "exec-from-temp" : "exec-from-dot-dir", r)
                } else if r.hasPrefix("./"), let dir = cwdIsTemp, let cls = SuspiciousPath.classify(dir + "/") {
                    add(cls == "temp" ? "exec-from-temp" : "exec-from-dot-dir", "cd \(dir); \(r)")
                }
            }
            var writes = cmd.redirects.filter { $0.op == ">" || $0.op == ">>" || $0.op == ">|" || $0.op == "&>" }.map(\.target)
            if isDownloader(cmd.words, programIndex: p), let t = downloadTarget(cmd, programIndex: p) { writes.append(t) }
            for w in writes {
                if let cls = SuspiciousPath.classify(w) { add(cls == "temp" ? "write-to-temp" : "write-to-dot-dir", w) }
            }
        }
        // A base64 decode without a shell behind it is still worth seeing.
        if !found.contains(where: { $0.indicator == "base64-pipe-shell" }),
            let cmd = commands.first(where: { c in
                guard let p = ShellCommand.program(c.words) else { return false }
                return ShellCommand.basename(c.words[p.index]) == "base64"
                    && c.words.contains(where: { $0 == "-d" || $0 == "--decode" || $0 == "-D" || $0 == "-di" })
            })
        {
            add("base64-decode", cmd.words.joined(separator: " "))
        }
        return found
    }
}
