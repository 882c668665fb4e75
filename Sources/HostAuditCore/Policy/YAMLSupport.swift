import Foundation
import Yams

/// Helpers for walking a Yams `Node` tree while keeping every problem
/// located at file:line:column.
struct YAMLReader {
    let file: String
    var errors: [PolicyError] = []

    init(file: String) { self.file = file }

    /// Files larger than this are refused (policies are small; this also bounds the fuzzer).
    static let maxBytes = 4 << 20
    /// Deeper flow nesting than this is refused before libyaml sees it (libyaml recurses).
    static let maxDepth = 64

    /// Scalars are typed by `Node.scalarKind` (YAML 1.2 core schema: only
    /// true/false are booleans, so `no` and `on` stay strings; no timestamps;
    /// no merge keys), so Yams itself resolves nothing (its regex resolver
    /// dominated load time).
    static let resolver = Resolver.basic

    func location(_ node: Node) -> SourceLocation {
        let m = node.mark
        return SourceLocation(file: file, line: m?.line ?? 1, column: m?.column ?? 1)
    }

    mutating func error(_ kind: PolicyError.Kind, _ message: String, at node: Node) {
        errors.append(PolicyError(kind, message, at: location(node)))
    }

    mutating func error(_ kind: PolicyError.Kind, _ message: String, at location: SourceLocation) {
        errors.append(PolicyError(kind, message, at: location))
    }

    /// Reads and composes a file's bytes; nil (with an error recorded) when it is not YAML.
    mutating func compose(bytes: [UInt8]) -> Node? {
        let start = SourceLocation(file: file, line: 1, column: 1)
        if bytes.count > Self.maxBytes {
            error(.unreadable, "file is larger than \(Self.maxBytes >> 20) MiB", at: start)
            return nil
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            let (line, column) = Self.firstInvalidUTF8(bytes)
            error(.unreadable, "not valid UTF-8", at: SourceLocation(file: file, line: line, column: column))
            return nil
        }
        if let (line, column) = Self.tooDeep(text) {
            error(.syntax, "nesting deeper than \(Self.maxDepth) levels", at: SourceLocation(file: file, line: line, column: column))
            return nil
        }
        if let bad = text.unicodeScalars.firstIndex(where: { $0.value == 0 }) {
            let (line, column) = Self.position(of: bad, in: text)
            error(.syntax, "NUL character in file", at: SourceLocation(file: file, line: line, column: column))
            return nil
        }
        // YAML also breaks lines at a lone CR, NEL, LS and PS; editors do not. Refuse
        // them so every line number we print is the one an editor shows.
        let scalars = text.unicodeScalars
        var idx = scalars.startIndex
        while idx < scalars.endIndex {
            let s = scalars[idx]
            let next = scalars.index(after: idx)
            let lone = s == "\r" && (next == scalars.endIndex || scalars[next] != "\n")
            if lone || s == "\u{85}" || s == "\u{2028}" || s == "\u{2029}" {
                let (line, column) = Self.position(of: idx, in: text)
                error(
                    .syntax, "line break U+\(String(s.value, radix: 16, uppercase: true)) where only \\n (or \\r\\n) may end a line",
                    at: SourceLocation(file: file, line: line, column: column))
                return nil
            }
            idx = next
        }
        if let (line, column, message) = YAMLAliases.firstProblem(bytes) {
            error(.syntax, message, at: SourceLocation(file: file, line: line, column: column))
            return nil
        }
        do {
            guard let node = try Yams.compose(yaml: text, Self.resolver) else {
                error(.syntax, "empty document", at: start)
                return nil
            }
            return node
        } catch let e as YamlError {
            record(e, text: text)
            return nil
        } catch {
            self.error(.syntax, "\(error)", at: start)
            return nil
        }
    }

    private mutating func record(_ e: YamlError, text: String) {
        func at(_ mark: Mark) -> SourceLocation { SourceLocation(file: file, line: mark.line, column: mark.column) }
        switch e {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
            let .composer(context, problem, mark, _):
            var message = problem
            if let context { message += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))" }
            if problem.contains("nesting level") {
                // libyaml's own words name its internal API (yaml_set_max_nest_level).
                message = "nesting deeper than libyaml's limit of 1000 levels"
            } else if Self.scalar(atLine: mark.line, column: mark.column, in: text) == "\t" {
                message = "a tab cannot indent YAML (use spaces); tabs are allowed only between tokens, e.g. before a comment"
            }
            error(.syntax, message, at: at(mark))
        case let .reader(problem, offset, _, _):
            var loc = SourceLocation(file: file, line: 1, column: 1)
            if let offset {
                let (l, c) = Self.position(ofUTF8Offset: offset, in: text)
                loc = SourceLocation(file: file, line: l, column: c)
            }
            error(.syntax, problem, at: loc)
        case let .duplicatedKeysInMapping(duplicates, context):
            let name = duplicates.first ?? "?"
            // Yams marks the first occurrence; point at the repeat, where the fix is.
            let loc = Self.repeatedKey(name, after: context.mark, in: text).map {
                SourceLocation(file: file, line: $0.0, column: $0.1)
            } ?? at(context.mark)
            error(.syntax, "duplicate key '\(name)' (first at line \(context.mark.line), column \(context.mark.column))", at: loc)
        default:
            error(.syntax, "\(e)", at: SourceLocation(file: file, line: 1, column: 1))
        }
    }

    static func repeatedKey(_ key: String, after mark: Mark, in text: String) -> (Int, Int)? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard mark.line >= 1, mark.line <= lines.count else { return nil }
        let column = mark.column
        for n in mark.line..<lines.count {
            let line = Array(lines[n].unicodeScalars)
            guard line.count >= column - 1 + key.unicodeScalars.count else { continue }
            let indent = line.prefix(column - 1)
            if indent.contains(where: { $0 != " " && $0 != "-" }) { continue }
            let rest = String(String.UnicodeScalarView(line.dropFirst(column - 1)))
            if rest.hasPrefix(key + ":") || rest.hasPrefix("\"\(key)\":") || rest.hasPrefix("'\(key)':") {
                return (n + 1, column)
            }
        }
        return nil
    }

    static func position(of index: String.UnicodeScalarView.Index, in text: String) -> (Int, Int) {
        var line = 1
        var column = 1
        for s in text.unicodeScalars[..<index] {
            if s == "\n" { line += 1; column = 1 } else { column += 1 }
        }
        return (line, column)
    }

    static func position(ofUTF8Offset offset: Int, in text: String) -> (Int, Int) {
        let utf8 = text.utf8
        let idx = utf8.index(utf8.startIndex, offsetBy: min(max(0, offset), utf8.count))
        return position(of: idx.samePosition(in: text.unicodeScalars) ?? text.unicodeScalars.endIndex, in: text)
    }

    static func firstInvalidUTF8(_ bytes: [UInt8]) -> (Int, Int) {
        var line = 1
        var column = 1
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            let len: Int
            switch b {
            case 0..<0x80: len = 1
            case 0xC2...0xDF: len = 2
            case 0xE0...0xEF: len = 3
            case 0xF0...0xF4: len = 4
            default: return (line, column)
            }
            if i + len > bytes.count { return (line, column) }
            if len > 1, String(validating: bytes[i..<(i + len)], as: UTF8.self) == nil { return (line, column) }
            if b == 0x0A { line += 1; column = 1 } else { column += 1 }
            i += len
        }
        return (line, column)
    }

    /// The scalar at a 1-based line and column (columns in scalars), if any.
    static func scalar(atLine line: Int, column: Int, in text: String) -> Unicode.Scalar? {
        var l = 1, c = 0
        for s in text.unicodeScalars {
            if s == "\n" {
                if l == line { return nil }
                l += 1
                c = 0
                continue
            }
            c += 1
            if l == line && c == column { return s }
        }
        return nil
    }

    /// The position where flow/indentation nesting first exceeds `maxDepth`.
    static func tooDeep(_ text: String) -> (Int, Int)? {
        var depth = 0
        var line = 1
        var column = 0
        var quote: Unicode.Scalar? = nil
        var comment = false
        var dashes = 0
        for s in text.unicodeScalars {
            column += 1
            if s == "\n" {
                line += 1; column = 0; comment = false; quote = nil; dashes = 0
                continue
            }
            if comment { continue }
            if let q = quote {
                if s == q { quote = nil }
                continue
            }
            switch s {
            case "\"", "'": quote = s
            case "#": comment = true
            case "[", "{":
                depth += 1
                if depth > maxDepth { return (line, column) }
            case "]", "}": depth = max(0, depth - 1)
            case "-":
                dashes += 1
                if dashes > maxDepth { return (line, column) }
            default: break
            }
        }
        return nil
    }
}

/// Did-you-mean suggestions by edit distance.
enum Suggest {
    static func closest(_ word: String, in candidates: [String]) -> String? {
        var best: (String, Int)? = nil
        for c in candidates {
            let d = distance(word.lowercased(), c.lowercased())
            if d <= max(2, c.count / 3), best == nil || d < best!.1 { best = (c, d) }
        }
        return best?.0
    }

    static func hint(_ word: String, in candidates: [String]) -> String {
        if let c = closest(word, in: candidates) { return "; did you mean '\(c)'?" }
        return ""
    }

    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars.prefix(64))
        let b = Array(b.unicodeScalars.prefix(64))
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var prev = Array(0...b.count)
        var cur = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            cur[0] = i
            for j in 1...b.count {
                cur[j] = Swift.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&prev, &cur)
        }
        return prev[b.count]
    }
}

enum ScalarKind { case str, bool, int, float, null }

extension Node {
    /// The YAML 1.2 core-schema type of a scalar: quoted scalars are strings;
    /// plain ones may be null, a boolean, an integer or a float.
    var tagName: ScalarKind {
        guard case .scalar(let s) = self else { return .str }
        guard s.style == .plain else { return .str }
        return Self.classify(s.string)
    }

    static func classify(_ t: String) -> ScalarKind {
        switch t {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE", "false", "False", "FALSE": return .bool
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN": return .float
        default: break
        }
        let u = Array(t.utf8)
        var i = 0
        if u[0] == UInt8(ascii: "-") || u[0] == UInt8(ascii: "+") { i = 1 }
        guard i < u.count else { return .str }
        func allIn(_ from: Int, _ ok: (UInt8) -> Bool) -> Bool { from < u.count && u[from...].allSatisfy(ok) }
        let digit = { (c: UInt8) in c >= 0x30 && c <= 0x39 }
        if u.count > i + 2, u[i] == UInt8(ascii: "0"), u[i + 1] == UInt8(ascii: "x") || u[i + 1] == UInt8(ascii: "o") {
            let hex = u[i + 1] == UInt8(ascii: "x")
            if allIn(i + 2, { hex ? (digit($0) || (0x61...0x66).contains($0 | 0x20)) : (0x30...0x37).contains($0) }) { return .int }
            return .str
        }
        if allIn(i, digit) { return .int }
        // Float: digits with one '.', and/or an exponent.
        var sawDigit = false
        var sawDot = false
        var sawExp = false
        var j = i
        while j < u.count {
            let c = u[j]
            if digit(c) {
                sawDigit = true
            } else if c == UInt8(ascii: "."), !sawDot, !sawExp {
                sawDot = true
            } else if c == UInt8(ascii: "e") || c == UInt8(ascii: "E"), sawDigit, !sawExp {
                sawExp = true
                if j + 1 < u.count, u[j + 1] == UInt8(ascii: "-") || u[j + 1] == UInt8(ascii: "+") { j += 1 }
                guard j + 1 < u.count else { return .str }
            } else {
                return .str
            }
            j += 1
        }
        return sawDigit && (sawDot || sawExp) ? .float : .str
    }

    /// A short name of the node's kind for messages.
    var kindName: String {
        switch self {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let s):
            switch tagName {
            case .bool: return "a boolean"
            case .int: return "an integer"
            case .float: return "a number"
            case .null: return "null"
            case .str: return "a string ('\(s.string.count > 40 ? String(s.string.prefix(40)) + "…" : s.string)')"
            }
        }
    }

    /// The scalar as a JSON value by its type; nil for an integer out of range.
    var jsonScalar: JSONValue? {
        guard case .scalar(let s) = self else { return nil }
        let t = s.string
        switch tagName {
        case .bool: return .bool(t.first == "t" || t.first == "T")
        case .int:
            var body = Substring(t)
            var negative = false
            if body.first == "-" || body.first == "+" {
                negative = body.first == "-"
                body = body.dropFirst()
            }
            let v: Int64?
            if body.hasPrefix("0x") {
                v = Int64(body.dropFirst(2), radix: 16)
            } else if body.hasPrefix("0o") {
                v = Int64(body.dropFirst(2), radix: 8)
            } else {
                v = Int64(body, radix: 10)
            }
            return v.map { .int(negative ? -$0 : $0) }
        case .float:
            let lower = t.lowercased()
            if lower.hasSuffix(".nan") { return .double(.nan) }
            if lower.hasSuffix(".inf") { return .double(lower.hasPrefix("-") ? -.infinity : .infinity) }
            return Double(t).map(JSONValue.double)
        case .null: return .null
        case .str: return .string(t)
        }
    }

    /// A plain or quoted string scalar (not a number, boolean or null).
    var stringScalar: String? {
        guard case .scalar(let s) = self, tagName == .str else { return nil }
        return s.string
    }
}
