import Foundation
import Synchronization

/// A regular expression compiled once when the policy is compiled.
/// `matches` searches (like grep): anchor with ^ and $ to match whole values.
///
/// ICU (behind NSRegularExpression) backtracks, so a pattern with nested
/// quantifiers can take exponential time on input an intruder writes (a
/// command line, a file name). Every match therefore runs under a budget
/// (`MatchBudget`): ICU reports progress while it searches, and the search is
/// stopped when the match's time runs out or the evaluation's deadline passes.
/// A stopped match is neither a match nor a non-match: `match` returns nil and
/// the budget records it, so the rule becomes an `error` naming the input.
package final class CompiledRegex: Sendable {
    // NSRegularExpression is immutable and documented thread-safe for matching (Foundation declares it Sendable).
    private let regex: NSRegularExpression
    package let pattern: String

    /// The literal text an anchored pattern (`^literal…`) must start with: a
    /// cheap test that rules most values out before ICU runs. Compared as
    /// UTF-8 bytes (never as grapheme clusters, which a combining mark after
    /// the prefix would change).
    private let requiredPrefix: [UInt8]

    package init(_ pattern: String) throws {
        self.pattern = pattern
        regex = try NSRegularExpression(pattern: pattern, options: [])
        requiredPrefix = Array(Self.literalPrefix(pattern).utf8)
    }

    /// The literal scalars after a leading `^` of a pattern without
    /// alternation, up to the first metacharacter; a quantifier applying to
    /// the last literal makes it optional, so it is dropped.
    static func literalPrefix(_ pattern: String) -> String {
        let scalars = Array(pattern.unicodeScalars)
        guard scalars.first == "^", !scalars.contains("|") else { return "" }
        let meta: Set<Unicode.Scalar> = ["\\", ".", "[", "]", "(", ")", "{", "}", "*", "+", "?", "|", "^", "$"]
        var prefix = String.UnicodeScalarView()
        var i = 1
        while i < scalars.count, !meta.contains(scalars[i]) {
            prefix.append(scalars[i])
            i += 1
        }
        if i < scalars.count, "*?{".unicodeScalars.contains(scalars[i]), !prefix.isEmpty { prefix.removeLast() }
        // A combining mark binds to the scalar before it; ICU matches scalars, so
        // the prefix stays valid, but keep it conservative when one follows.
        return String(prefix)
    }

    /// Whether the pattern matches somewhere in `s`; nil when the match ran
    /// out of its budget (recorded in the current `MatchBudget`).
    package func match(_ s: String) -> Bool? {
        if !requiredPrefix.isEmpty && !s.utf8.starts(with: requiredPrefix) { return false }
        let budget = MatchBudget.current ?? MatchBudget.standalone
        let clock = ContinuousClock()
        let start = clock.now
        var limit = start.advanced(by: budget.perMatch)
        if let d = budget.deadline, d < limit { limit = d }
        if start >= limit || budget.alreadyExhausted(s) {
            budget.recordExhausted(pattern: pattern, input: s)
            return nil
        }
        var found = false
        var stopped = false
        regex.enumerateMatches(in: s, options: [.reportProgress], range: NSRange(s.startIndex..., in: s)) { m, _, stop in
            if m != nil {
                found = true
                stop.pointee = true
                return
            }
            if clock.now >= limit {
                stopped = true
                stop.pointee = true
            }
        }
        if found { return true }
        if stopped {
            budget.recordExhausted(pattern: pattern, input: s)
            return nil
        }
        return false
    }

    /// `match` with an exhausted budget read as no match (for callers that
    /// cannot report an error; policy evaluation uses `match`).
    package func matches(_ s: String) -> Bool { match(s) ?? false }

    /// Why `pattern` does not compile, or nil.
    static func problem(_ pattern: String) -> String? {
        do {
            _ = try NSRegularExpression(pattern: pattern, options: [])
            return nil
        } catch {
            let ns = error as NSError
            if let reason = ns.userInfo["NSInvalidValue"] { return "\(reason)" }
            return ns.localizedFailureReason ?? "not a valid ICU regular expression"
        }
    }

    /// A warning when `pattern` repeats a group that itself contains a
    /// repetition (`(a+)+`, `(\w*\.)*`), unless the group is atomic `(?>…)` or the
    /// outer quantifier possessive: the shape that backtracks
    /// exponentially or polynomially on hostile input. Nil when none is found.
    /// The scan is syntactic (classes, escapes and groups are tracked), so it
    /// also flags some harmless patterns whose repetitions cannot overlap.
    package static func nestedQuantifier(_ pattern: String) -> String? {
        let s = Array(pattern.unicodeScalars)
        // For every open group: whether it holds a repetition so far, and where it opened.
        var stack: [(repeats: Bool, start: Int, atomic: Bool)] = []
        var i = 0
        var lastGroup: (repeats: Bool, start: Int, atomic: Bool)?
        func isQuantifier(at j: Int) -> (Bool, Int) {
            // Returns (unbounded-or-many, length).
            guard j < s.count else { return (false, 0) }
            switch s[j] {
            case "*", "+": return (true, 1)
            case "?": return (false, 1)
            case "{":
                var k = j + 1
                var text = ""
                while k < s.count, s[k] != "}" {
                    text.unicodeScalars.append(s[k])
                    k += 1
                }
                guard k < s.count else { return (false, 0) }
                let parts = text.split(separator: ",", omittingEmptySubsequences: false)
                guard parts.count <= 2, parts.allSatisfy({ $0.isEmpty || Int($0) != nil }) else { return (false, 0) }
                let many = parts.count == 2 ? (parts[1].isEmpty || (Int(parts[1]) ?? 0) > 1) : (Int(parts[0]) ?? 0) > 1
                return (many, k - j + 1)
            default: return (false, 0)
            }
        }
        while i < s.count {
            let c = s[i]
            switch c {
            case "\\":
                i += 2
                lastGroup = nil
                let (many, len) = isQuantifier(at: i)
                if many, !stack.isEmpty { stack[stack.count - 1].repeats = true }
                i += len
                continue
            case "[":
                var j = i + 1
                if j < s.count, s[j] == "^" { j += 1 }
                if j < s.count, s[j] == "]" { j += 1 }
                while j < s.count, s[j] != "]" {
                    if s[j] == "\\" { j += 1 }
                    j += 1
                }
                i = j + 1
                lastGroup = nil
                let (many, len) = isQuantifier(at: i)
                if many, !stack.isEmpty { stack[stack.count - 1].repeats = true }
                i += len
                continue
            case "(":
                // An atomic group (?>…) never gives back what it matched: repeating it is linear.
                let atomic = i + 2 < s.count && s[i + 1] == "?" && s[i + 2] == ">"
                stack.append((false, i, atomic))
                i += 1
                continue
            case ")":
                lastGroup = stack.popLast()
                i += 1
                let (many, len) = isQuantifier(at: i)
                // A possessive quantifier (`*+`, `++`, `{n,}+`) does not backtrack either.
                let possessive = len > 0 && i + len < s.count && s[i + len] == "+"
                if let g = lastGroup {
                    if many && g.repeats && !g.atomic && !possessive {
                        let text = String(String.UnicodeScalarView(s[g.start..<min(s.count, i + len)]))
                        return "'\(text)' repeats a group that itself repeats (nested quantifiers): matching can take "
                            + "exponential time on hostile input; rewrite it so each part can match in only one way"
                    }
                    if (many || (g.repeats && !g.atomic)), !stack.isEmpty { stack[stack.count - 1].repeats = true }
                }
                i += len + (possessive ? 1 : 0)
                continue
            default:
                i += 1
                lastGroup = nil
                let (many, len) = isQuantifier(at: i)
                if many, !stack.isEmpty { stack[stack.count - 1].repeats = true }
                i += len
            }
        }
        return nil
    }
}

/// The budget regex matches run under while one rule is evaluated, and what
/// ran out. Bound with `MatchBudget.$current` around an evaluation.
public final class MatchBudget: Sendable {
    @TaskLocal package static var current: MatchBudget?

    /// The budget of one match when none is bound: the per-match default, no deadline.
    static let standalone = MatchBudget()

    /// Time one match may take (ICU's progress callbacks are the steps it is
    /// checked at). A linear pattern scans 64 KiB in tens of milliseconds even
    /// on a busy host; a backtracking one needs minutes to hours.
    public static let defaultPerMatch: Duration = .seconds(1)

    package let perMatch: Duration
    /// When the whole evaluation must end: every later match runs out at once.
    package let deadline: ContinuousClock.Instant?

    package struct Exhausted: Sendable {
        package var pattern: String
        package var input: String
    }

    /// What ran out, behind one lock: evaluations run rules concurrently.
    private struct State {
        var exhausted: [Exhausted] = []
        var inputs: Set<String> = []
        var items: [(path: String, item: JSONValue)] = []
    }
    private let state = Mutex(State())

    package init(perMatch: Duration = MatchBudget.defaultPerMatch, deadline: ContinuousClock.Instant? = nil) {
        self.perMatch = perMatch
        self.deadline = deadline
    }

    func recordExhausted(pattern: String, input: String) {
        guard self !== Self.standalone else { return }
        state.withLock {
            if $0.inputs.insert(input).inserted { $0.exhausted.append(Exhausted(pattern: pattern, input: input)) }
        }
    }

    /// An input that already ran out once in this evaluation runs out again at
    /// once (many processes can share one hostile argument).
    func alreadyExhausted(_ s: String) -> Bool {
        state.withLock { !$0.inputs.isEmpty && $0.inputs.contains(s) }
    }

    package var exhausted: [Exhausted] { state.withLock { $0.exhausted } }
    var exhaustedCount: Int { state.withLock { $0.exhausted.count } }

    /// Whether `item` holds (anywhere inside) an input whose match ran out.
    func holdsExhaustedInput(_ item: JSONValue) -> Bool {
        let inputs = state.withLock { $0.inputs }
        guard !inputs.isEmpty else { return false }
        func walk(_ v: JSONValue) -> Bool {
            switch v {
            case .string(let s): return inputs.contains(s)
            case .array(let a): return a.contains(where: walk)
            case .object(let o): return o.entries.contains { walk($0.1) }
            default: return false
            }
        }
        return walk(item)
    }

    /// Notes the item (a process, a file…) whose input ran out.
    func noteItem(path: String, item: JSONValue) {
        state.withLock {
            if !$0.items.contains(where: { $0.path == path }) { $0.items.append((path, item)) }
        }
    }

    /// The outermost items noted (a process rather than its argument).
    var items: [(path: String, item: JSONValue)] {
        let all = state.withLock { $0.items }
        // Inside `where` paths are relative: prefer the items that are processes.
        let processes = all.filter { $0.item["pid"] != nil }
        if !processes.isEmpty { return processes }
        return all.filter { a in !all.contains { b in b.path != a.path && ByteText.hasPrefix(a.path, b.path + ".") } }
    }
}
