/// An SELinux mode, as `/etc/selinux/config` names it and as the kernel runs it.
public enum SELinuxMode: String, Sendable, Equatable, Codable, CaseIterable {
    case enforcing, permissive, disabled
}

/// `/etc/selinux/config`, parsed the way libselinux reads it.
///
/// libselinux is the reference (selinux_config.c):
/// - `SELINUX=` is read by `selinux_getenforcemode`: only at the very start of
///   a line, in capitals; the value is matched case-insensitively by prefix
///   (`enforcing…`, `permissive…`, `disabled…`); the **first** line that
///   matches wins, and lines with other values are skipped.
/// - `SELINUXTYPE=` is read by `init_selinux_config`: leading blanks and the
///   tag's case are ignored, trailing blanks and control characters are cut,
///   quotes are kept, and the **last** line wins.
/// - When no `SELINUX=` line matches, the boot-time policy loader falls back
///   to permissive; when no `SELINUXTYPE=` line exists, libselinux uses `targeted`.
///
/// Everything this parser tolerates or ignores becomes a `FileProblem` with
/// its line number; it never fails.
package struct SELinuxConfig: Sendable, Equatable {
    package static let defaultPath = "/etc/selinux/config"
    /// Bytes read at most; a larger file is reported and only its start parsed.
    package static let sizeLimit = 1 << 20
    /// Longest line text copied into a problem.
    static let maxProblemText = 200

    /// The host path of the file.
    package var path: String
    /// Whether the file exists; nil when that could not be determined.
    package var present: Bool?
    /// Why the file could not be read (it exists, or its presence is unknown).
    var readError: String?
    /// The configured mode, as libselinux would read it; nil when no line gives one.
    package var mode: SELinuxMode?
    /// The line `mode` came from.
    package var modeLine: Int?
    /// The configured policy type (the folder below /etc/selinux), as libselinux would read it.
    package var policyType: String?
    /// The line `policyType` came from.
    package var policyTypeLine: Int?
    package var problems: [FileProblem]

    package init(
        path: String = SELinuxConfig.defaultPath, present: Bool?, readError: String? = nil,
        mode: SELinuxMode? = nil, modeLine: Int? = nil, policyType: String? = nil, policyTypeLine: Int? = nil,
        problems: [FileProblem] = []
    ) {
        self.path = path
        self.present = present
        self.readError = readError
        self.mode = mode
        self.modeLine = modeLine
        self.policyType = policyType
        self.policyTypeLine = policyTypeLine
        self.problems = problems
    }

    /// The file does not exist (a host without SELinux userland).
    package static func missing(path: String = defaultPath) -> SELinuxConfig {
        SELinuxConfig(path: path, present: false)
    }

    /// The file exists (or may exist) but could not be read.
    package static func unreadable(path: String = defaultPath, present: Bool?, error: String) -> SELinuxConfig {
        SELinuxConfig(path: path, present: present, readError: error)
    }

    /// Parses the file's bytes. `truncated` says the file held more than was read.
    package static func parse(_ bytes: [UInt8], path: String = defaultPath, truncated: Bool = false) -> SELinuxConfig {
        var parser = Parser(path: path)
        parser.run(bytes, truncated: truncated)
        return parser.result
    }
}

extension SELinuxConfig {
    /// Keys libselinux reads besides SELINUX and SELINUXTYPE, or that old
    /// releases wrote; accepted without a problem.
    static let otherKnownKeys: Set<String> = ["REQUIRESEUSERS", "SETLOCALDEFS"]

    struct Parser {
        var result: SELinuxConfig
        var sawCRLF = false
        var firstModeLine: Int?

        init(path: String) { result = SELinuxConfig(path: path, present: true) }

        mutating func problem(_ line: Int?, _ text: String?, _ message: String) {
            let shown = text.map { t in
                t.count > SELinuxConfig.maxProblemText ? String(t.prefix(SELinuxConfig.maxProblemText)) + "…" : t
            }
            result.problems.append(FileProblem(path: result.path, line: line, text: shown, problem: message))
        }

        mutating func run(_ bytes: [UInt8], truncated: Bool) {
            if bytes.contains(0) {
                problem(nil, nil, "binary file (contains NUL bytes); not parsed as a configuration")
                return
            }
            var body = bytes[...]
            if truncated {
                problem(
                    nil, nil,
                    "file larger than \(SELinuxConfig.sizeLimit) bytes; only the first \(SELinuxConfig.sizeLimit) bytes were parsed"
                )
                // The last line read may be cut short: drop it.
                if let lastNewline = body.lastIndex(of: UInt8(ascii: "\n")) {
                    body = body[...lastNewline]
                } else {
                    body = []
                }
            }
            if body.starts(with: [0xEF, 0xBB, 0xBF]) {
                problem(1, nil, "byte order mark at the start of the file; libselinux does not skip it")
            }
            var lineNumber = 0
            for rawLine in body.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
                lineNumber += 1
                line(rawLine, number: lineNumber)
            }
            finish()
        }

        mutating func line(_ raw: ArraySlice<UInt8>, number: Int) {
            var bytes = raw
            if bytes.last == UInt8(ascii: "\r") {
                bytes.removeLast()
                if !sawCRLF {
                    sawCRLF = true
                    problem(
                        number, nil,
                        "CRLF (Windows) line ending; libselinux tolerates it, shell tools that source this file do not")
                }
            }
            let text = String(decoding: bytes, as: UTF8.self)
            let indented = text.first.map(Self.isSpace) ?? false
            let trimmed = Self.trimLeading(text)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { return }
            guard let eq = trimmed.firstIndex(of: "=") else {
                problem(number, text, "not a KEY=VALUE line; ignored")
                return
            }
            let key = String(trimmed[..<eq])
            let value = String(trimmed[trimmed.index(after: eq)...])
            if key.last.map(Self.isSpace) ?? false {
                problem(number, text, "blank before '='; libselinux does not recognise the key, so the line is ignored")
                return
            }
            switch key.uppercased() {
            case "SELINUX":
                modeLine(key: key, value: value, indented: indented, text: text, number: number)
            case "SELINUXTYPE":
                typeLine(value: value, text: text, number: number)
            case let k where SELinuxConfig.otherKnownKeys.contains(k):
                return
            default:
                problem(number, text, "unknown key \(key); ignored")
            }
        }

        mutating func modeLine(key: String, value: String, indented: Bool, text: String, number: Int) {
            if indented || key != "SELINUX" {
                problem(
                    number, text,
                    "libselinux reads SELINUX= only in capitals at the start of a line; this line is ignored")
                return
            }
            let v = Self.trimLeading(value)
            if v.count != value.count {
                problem(number, text, "blank after '='; libselinux before 3.5 does not accept it")
            }
            let lower = v.lowercased()
            guard let mode = SELinuxMode.allCases.first(where: { lower.hasPrefix($0.rawValue) }) else {
                let hint = Self.isQuoted(v) ? " (libselinux does not remove quotes)" : ""
                problem(
                    number, text,
                    "invalid SELINUX value \(v.isEmpty ? "(empty)" : v)\(hint): expected enforcing, permissive or disabled; libselinux ignores this line"
                )
                return
            }
            let rest = Self.trimTrailing(String(v.dropFirst(mode.rawValue.count)))
            if !rest.isEmpty {
                problem(number, text, "text after the mode (\(rest)); libselinux reads only the leading \(mode.rawValue)")
            }
            if let first = firstModeLine {
                let winner = result.mode?.rawValue ?? "?"
                problem(
                    number, text,
                    "duplicate SELINUX= line; libselinux uses the first valid one (line \(first), \(winner)) and ignores this one"
                )
                return
            }
            firstModeLine = number
            result.mode = mode
            result.modeLine = number
        }

        mutating func typeLine(value: String, text: String, number: Int) {
            // As libselinux: skip leading blanks, cut trailing blanks and control characters.
            var v = Self.trimLeading(value)
            while let last = v.unicodeScalars.last, Self.isSpace(Character(last)) || last.properties.generalCategory == .control {
                v.unicodeScalars.removeLast()
            }
            if let previous = result.policyTypeLine {
                problem(
                    number, text,
                    "duplicate SELINUXTYPE= line; libselinux uses the last one, so this overrides line \(previous)")
            }
            if v.isEmpty {
                problem(number, text, "empty SELINUXTYPE value; libselinux would look for the policy directly in /etc/selinux/")
            } else if Self.isQuoted(v) {
                problem(
                    number, text,
                    "quoted SELINUXTYPE value; libselinux keeps the quotes and looks for the policy in /etc/selinux/\(v)/")
            } else if v.contains("/") || v.contains(where: Self.isSpace) || v == "." || v == ".." {
                problem(number, text, "SELINUXTYPE \(v) is not a policy directory name (inline comments are not supported)")
            }
            result.policyType = v
            result.policyTypeLine = number
        }

        mutating func finish() {
            if result.mode == nil {
                problem(nil, nil, "no valid SELINUX= line; at boot the policy loader falls back to permissive")
            }
            if result.policyType == nil {
                problem(nil, nil, "no SELINUXTYPE= line; libselinux uses the default policy type targeted")
            }
        }

        static func isSpace(_ c: Character) -> Bool {
            c == " " || c == "\t" || c == "\u{0B}" || c == "\u{0C}" || c == "\r" || c == "\n"
        }

        static func trimLeading(_ s: String) -> String {
            String(s.drop(while: isSpace))
        }

        static func trimTrailing(_ s: String) -> String {
            var t = Substring(s)
            while let last = t.last, isSpace(last) { t.removeLast() }
            return String(t)
        }

        static func isQuoted(_ s: String) -> Bool {
            guard let f = s.first, f == "\"" || f == "'" else { return false }
            return true
        }
    }
}
