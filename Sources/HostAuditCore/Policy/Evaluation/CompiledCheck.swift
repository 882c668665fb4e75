/// A check with every reference resolved, regexes compiled and paths split:
/// what the evaluator runs, many times, over large fact documents.
indirect enum CompiledCheck: Sendable {
    case match(CompiledSubject, CompiledMatcher)
    case all([CompiledCheck])
    case any([CompiledCheck])
    case not(CompiledCheck)
    case quantified(CompiledQuantifier)
}

enum CompiledSubject: Sendable {
    case path(FactPath)
    /// The item itself (a `where` without `path`).
    case item
    case constant(name: String, value: JSONValue)

    var text: String {
        switch self {
        case .path(let p): return p.text
        case .item: return "item"
        case .constant(let n, _): return "parameter \(n)"
        }
    }
}

struct CompiledMatcher: Sendable {
    var kind: MatcherKind
    var value: JSONValue
    /// For `in`: normalised members.
    var members: Set<JSONValue> = []
    var regex: CompiledRegex?
    var number: Double = 0
    var string: String = ""
    var description: String

    init(kind: MatcherKind, value: JSONValue, describedValue: String) throws(CompileProblem) {
        self.kind = kind
        self.value = value
        switch kind {
        case .in:
            for v in value.arrayValue ?? [] { members.insert(Self.normalised(v)) }
        case .matches:
            guard let p = value.stringValue else { throw CompileProblem("'matches' needs a string") }
            do { regex = try CompiledRegex(p) } catch {
                throw CompileProblem("invalid regular expression '\(p)': \(CompiledRegex.problem(p) ?? "\(error)")")
            }
            string = p
        case .lessThan, .greaterThan:
            guard let d = value.doubleValue else { throw CompileProblem("'\(kind.rawValue)' needs a number") }
            number = d
        case .startsWith, .endsWith:
            guard let s = value.stringValue else { throw CompileProblem("'\(kind.rawValue)' needs a string") }
            string = s
        default: break
        }
        description = "\(kind.rawValue) \(describedValue)"
    }

    static func normalised(_ v: JSONValue) -> JSONValue {
        if case .double(let d) = v, d == d.rounded(), abs(d) < 9e15 { return .int(Int64(d)) }
        return v
    }

    static func looselyEqual(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.int(let x), .int(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.int, .double), (.double, .int), (.double, .double): return a.doubleValue == b.doubleValue
        default: return a == b
        }
    }

    /// nil: the value is unknown (absent or null) and the matcher needs a value.
    @inline(__always)
    func test(_ actual: JSONValue?) -> Bool? {
        if kind == .exists {
            let present = actual != nil && actual != .null
            return present == (value.boolValue ?? true)
        }
        guard let actual else { return nil }
        if case .null = actual {
            switch kind {
            // Null is absent knowledge: only a test for null itself is decided.
            case .equals: return value == .null ? true : nil
            case .notEquals: return value == .null ? false : nil
            case .in: return members.contains(.null) ? true : nil
            default: return nil
            }
        }
        switch kind {
        case .equals: return Self.looselyEqual(actual, value)
        case .notEquals: return !Self.looselyEqual(actual, value)
        case .in: return members.contains(Self.normalised(actual))
        case .contains:
            switch actual {
            case .string(let s):
                guard let needle = value.stringValue else { return false }
                return ByteText.contains(s, needle)
            case .array(let items): return items.contains { Self.looselyEqual($0, value) }
            default: return false
            }
        case .matches:
            guard case .string(let s) = actual else { return false }
            // nil: the match ran out of its budget (recorded; the rule reports it).
            return regex!.match(s)
        case .startsWith:
            guard case .string(let s) = actual else { return false }
            return s.utf8.starts(with: string.utf8)
        case .endsWith:
            guard case .string(let s) = actual else { return false }
            return ByteText.hasSuffix(s, string)
        case .lessThan:
            guard let d = actual.doubleValue else { return false }
            return d < number
        case .greaterThan:
            guard let d = actual.doubleValue else { return false }
            return d > number
        case .exists: return nil
        }
    }
}

struct CompiledQuantifier: Sendable {
    var kind: QuantifierKind
    var path: FactPath
    var condition: CompiledCheck?
    var comparison: CompiledMatcher?
    var description: String
}

struct CompileProblem: Error {
    var message: String
    init(_ m: String) { message = m }
}

/// The result of a check: three-valued (unknown when a fact it needs is null
/// or absent), with the evidence that explains it.
struct CheckResult {
    enum Outcome { case pass, fail, unknown }
    var outcome: Outcome
    var evidence: [JSONValue] = []
    /// Paths whose value was unknown.
    var unknown: [String] = []

    static let pass = CheckResult(outcome: .pass)
    static let fail = CheckResult(outcome: .fail)
}

/// Evaluates compiled checks over a facts document.
struct CheckEvaluator {
    static let evidenceLimit = 25

    static func category(_ path: String) -> String {
        String(path.prefix { $0 != "." })
    }

    static func concrete(_ prefix: String, _ path: String) -> String {
        prefix.isEmpty ? path : (path.isEmpty ? prefix : prefix + "." + path)
    }

    /// `collect`: build evidence (false inside `where` on hot paths).
    static func evaluate(
        _ check: CompiledCheck, on value: JSONValue, prefix: String, collect: Bool, index: FactsIndex? = nil
    ) -> CheckResult {
        switch check {
        case .match(let subject, let matcher):
            let actual: JSONValue?
            let path: String
            switch subject {
            case .path(let p):
                actual = p.resolve(in: value)
                path = collect ? concrete(prefix, p.text) : ""
            case .item:
                actual = value
                path = prefix
            case .constant(let name, let v):
                actual = v
                path = "parameter " + name
            }
            guard let ok = matcher.test(actual) else {
                if !collect { return CheckResult(outcome: .unknown) }
                return CheckResult(outcome: .unknown, unknown: [path])
            }
            guard collect else { return ok ? .pass : .fail }
            var e = JSONObject()
            e["kind"] = .string(path.hasPrefix("parameter ") ? "parameter" : category(path))
            e["path"] = .string(path)
            e["detail"] = .string(
                "\(path) \(matcher.description) \(ok ? "holds" : "does not hold") (value: \((actual ?? .null).plainText))")
            e["value"] = actual ?? .null
            return CheckResult(outcome: ok ? .pass : .fail, evidence: [.object(e)])

        case .all(let children):
            var unknown = CheckResult(outcome: .pass)
            var failed = CheckResult(outcome: .fail)
            var anyFail = false
            var anyUnknown = false
            var witnesses: [JSONValue] = []
            for c in children {
                let r = evaluate(c, on: value, prefix: prefix, collect: collect, index: index)
                switch r.outcome {
                case .fail:
                    if !collect { return .fail }
                    anyFail = true
                    failed.evidence += r.evidence
                case .unknown:
                    anyUnknown = true
                    unknown.unknown += r.unknown
                case .pass:
                    if collect { witnesses += r.evidence }
                }
            }
            if anyFail { return failed }
            if anyUnknown { unknown.outcome = .unknown; return unknown }
            return CheckResult(outcome: .pass, evidence: witnesses)

        case .any(let children):
            var failed = CheckResult(outcome: .fail)
            var anyUnknown = false
            var unknownPaths: [String] = []
            for c in children {
                let r = evaluate(c, on: value, prefix: prefix, collect: collect, index: index)
                switch r.outcome {
                case .pass: return r
                case .unknown:
                    anyUnknown = true
                    unknownPaths += r.unknown
                case .fail:
                    if collect { failed.evidence += r.evidence }
                }
            }
            if anyUnknown { return CheckResult(outcome: .unknown, unknown: unknownPaths) }
            return failed

        case .not(let inner):
            var r = evaluate(inner, on: value, prefix: prefix, collect: collect, index: index)
            switch r.outcome {
            case .pass: r.outcome = .fail
            case .fail: r.outcome = .pass
            case .unknown: break
            }
            return r

        case .quantified(let q):
            if prefix.isEmpty, let index, q.condition.map(VectorEvaluator.supports) ?? true {
                return quantifyVector(q, index: index, collect: collect)
            }
            return quantify(q, on: value, prefix: prefix, collect: collect)
        }
    }

    static func quantify(_ q: CompiledQuantifier, on root: JSONValue, prefix: String, collect: Bool) -> CheckResult {
        // The collections: one for a plain path, several when '*' expands.
        var groups: [(path: String, value: JSONValue)] = []
        if q.path.hasWildcard {
            for (p, v) in q.path.resolveAll(in: root, prefix: prefix) {
                guard let v, v != .null else { continue }
                groups.append((p, v))
            }
            // The map itself must be known.
            if groups.isEmpty, let first = q.path.components.firstIndex(of: .wildcard) {
                let head = FactPath(components: Array(q.path.components[..<first]), text: "")
                let v = head.resolve(in: root)
                if v == nil || v == .null { return CheckResult(outcome: .unknown, unknown: [concrete(prefix, q.path.text)]) }
            }
        } else {
            guard let v = q.path.resolve(in: root), v != .null else {
                return CheckResult(outcome: .unknown, unknown: [concrete(prefix, q.path.text)])
            }
            groups.append((concrete(prefix, q.path.text), v))
        }

        var matched: [(String, JSONValue)] = []  // items satisfying `where` (for any, none, count)
        var unmatched: [(String, JSONValue)] = []  // items failing it (for all)
        var matchedCount = 0
        var total = 0
        var unknownItems = 0
        let keepMatched = collect && q.kind != .all
        let keepUnmatched = collect && q.kind == .all
        for (groupPath, v) in groups {
            func visit(_ item: JSONValue, _ itemPath: @autoclosure () -> String) -> Bool {
                total += 1
                let r: CheckResult.Outcome
                if let cond = q.condition {
                    r = evaluate(cond, on: item, prefix: "", collect: false).outcome
                } else {
                    r = .pass
                }
                switch r {
                case .pass:
                    matchedCount += 1
                    if keepMatched, matched.count <= evidenceLimit { matched.append((itemPath(), item)) }
                    // `any` is decided by the first match (when no evidence list is wanted).
                    if q.kind == .any && !collect { return false }
                case .fail:
                    if keepUnmatched, unmatched.count <= evidenceLimit { unmatched.append((itemPath(), item)) }
                    if q.kind == .all && !collect { return false }
                case .unknown:
                    unknownItems += 1
                    if let budget = MatchBudget.current, budget.exhaustedCount > 0, budget.holdsExhaustedInput(item) {
                        budget.noteItem(path: itemPath(), item: item)
                    }
                }
                return true
            }
            switch v {
            case .array(let items):
                for (i, item) in items.enumerated() where !visit(item, groupPath + "." + String(i)) { break }
            case .object(let o):
                for (k, item) in o.entries where !visit(item, groupPath + "." + k) { break }
            default:
                // A scalar at the end of a wildcard path: the value itself is the item.
                _ = visit(v, groupPath)
            }
        }

        return finish(
            q, path: concrete(prefix, q.path.text), collect: collect, total: total, matchedCount: matchedCount,
            unknownItems: unknownItems, matched: matched, unmatched: unmatched)
    }

    /// The column-wise form of `quantify` for top-level quantifiers (same results).
    static func quantifyVector(_ q: CompiledQuantifier, index: FactsIndex, collect: Bool) -> CheckResult {
        guard let list = index.items(q) else { return CheckResult(outcome: .unknown, unknown: [q.path.text]) }
        let n = list.items.count
        let outcomes = q.condition.map { VectorEvaluator.evaluate($0, list) } ?? [UInt8](repeating: VectorEvaluator.pass, count: n)
        var matchedCount = 0
        var unknownItems = 0
        var matched: [(String, JSONValue)] = []
        var unmatched: [(String, JSONValue)] = []
        let keepMatched = collect && q.kind != .all
        let keepUnmatched = collect && q.kind == .all
        for i in 0..<n {
            switch outcomes[i] {
            case VectorEvaluator.pass:
                matchedCount += 1
                if keepMatched, matched.count <= evidenceLimit { matched.append((list.path(i), list.items[i])) }
            case VectorEvaluator.fail:
                if keepUnmatched, unmatched.count <= evidenceLimit { unmatched.append((list.path(i), list.items[i])) }
            default:
                unknownItems += 1
                if let budget = MatchBudget.current, budget.exhaustedCount > 0, budget.holdsExhaustedInput(list.items[i]) {
                    budget.noteItem(path: list.path(i), item: list.items[i])
                }
            }
        }
        return finish(
            q, path: q.path.text, collect: collect, total: n, matchedCount: matchedCount, unknownItems: unknownItems,
            matched: matched, unmatched: unmatched)
    }

    static func finish(
        _ q: CompiledQuantifier, path: String, collect: Bool, total: Int, matchedCount: Int, unknownItems: Int,
        matched: [(String, JSONValue)], unmatched: [(String, JSONValue)]
    ) -> CheckResult {
        func items(_ list: [(String, JSONValue)], _ detail: String) -> [JSONValue] {
            var out: [JSONValue] = []
            for (p, item) in list.prefix(evidenceLimit) {
                var e = JSONObject()
                if category(p) == "processes", let pid = item["pid"] {
                    // The report contract's process evidence: kind, pid, comm, exe first.
                    e["kind"] = .string("process")
                    e["pid"] = pid
                    e["comm"] = item["comm"] ?? .null
                    e["exe"] = item["exe"]?["path"] ?? .null
                } else {
                    e["kind"] = .string(category(p))
                }
                e["path"] = .string(p)
                e["detail"] = .string(Self.exposureSummary(p, item).map { "\($0); \(detail)" } ?? detail)
                e["value"] = item
                out.append(.object(e))
            }
            return out
        }
        func more(_ n: Int, _ path: String) -> [JSONValue] {
            guard n > evidenceLimit else { return [] }
            return [
                .object(
                    JSONObject([
                        ("kind", .string(category(path))), ("path", .string(path)),
                        ("detail", .string("and \(n - evidenceLimit) more")), ("summary", .bool(true)),
                    ]))
            ]
        }
        let whereText = q.description
        switch q.kind {
        case .all:
            let failing = total - matchedCount - unknownItems
            if failing > 0 {
                return CheckResult(
                    outcome: .fail,
                    evidence: collect ? items(unmatched, "does not satisfy: \(whereText)") + more(failing, path) : [])
            }
            if unknownItems > 0 { return CheckResult(outcome: .unknown, unknown: [path]) }
            return .pass
        case .any:
            if matchedCount > 0 {
                return CheckResult(outcome: .pass, evidence: collect ? items(matched, "satisfies: \(whereText)") : [])
            }
            if unknownItems > 0 { return CheckResult(outcome: .unknown, unknown: [path]) }
            guard collect else { return .fail }
            let e = JSONObject([
                ("kind", .string(category(path))), ("path", .string(path)),
                ("detail", .string("none of \(total) item(s) satisfies: \(whereText)")), ("summary", .bool(true)),
            ])
            return CheckResult(outcome: .fail, evidence: [.object(e)])
        case .none:
            if matchedCount > 0 {
                return CheckResult(
                    outcome: .fail, evidence: collect ? items(matched, "satisfies: \(whereText)") + more(matchedCount, path) : [])
            }
            if unknownItems > 0 { return CheckResult(outcome: .unknown, unknown: [path]) }
            return .pass
        case .count:
            if unknownItems > 0 { return CheckResult(outcome: .unknown, unknown: [path]) }
            let ok = q.comparison!.test(.int(Int64(matchedCount))) ?? false
            guard collect else { return ok ? .pass : .fail }
            var summary = JSONObject()
            summary["kind"] = .string(category(path))
            summary["path"] = .string(path)
            summary["detail"] = .string(
                "\(matchedCount) of \(total) item(s) \(q.condition == nil ? "" : "satisfy \(whereText) ")— count \(q.comparison!.description) \(ok ? "holds" : "does not hold")")
            summary["count"] = .int(Int64(matchedCount))
            summary["summary"] = .bool(true)
            return CheckResult(
                outcome: ok ? .pass : .fail,
                evidence: [.object(summary)] + items(matched, "counted") + more(matchedCount, path))
        }
    }
}

extension CheckEvaluator {
    /// An `exposure.list` item in words for evidence: `tcp 0.0.0.0:6379 (redis-server) exposed: …`;
    /// an `exposure.traffic` case as its packet, verdict and deciding rule.
    static func exposureSummary(_ path: String, _ item: JSONValue) -> String? {
        if category(path) == "exposure", let flow = item["flow"]?.stringValue, let verdict = item["verdict"]?.stringValue {
            // An `exposure.traffic.*.cases` item: `ipv4 on ha0: tcp 127.0.0.1 -> 192.0.2.5:50000 accept by …`.
            var s = "\(item["family"]?.stringValue ?? "?")\(item["interface"]?.stringValue.map { " on \($0)" } ?? ""): \(flow) \(verdict)"
            if let d = item["decided_by"], let rule = d["rule"]?.stringValue {
                s += " by \(d["family"]?.stringValue ?? "?") \(d["table"]?.stringValue ?? "?") \(d["chain"]?.stringValue ?? "?"): \(rule)"
            }
            return s
        }
        guard category(path) == "exposure", let port = item["local_port"]?.intValue,
            let kind = item["exposure"]?.stringValue
        else { return nil }
        let proto = item["protocol"]?.stringValue ?? "?"
        let address = item["local_address"]?.stringValue ?? "?"
        let host = address.contains(":") ? "[\(address)]" : address
        let comms = (item["processes"]?.arrayValue ?? []).compactMap { $0["comm"]?.stringValue }
        var unique: [String] = []
        for c in comms where !unique.contains(c) { unique.append(c) }
        let who = unique.isEmpty ? "" : " (\(unique.prefix(3).joined(separator: ", ")))"
        var s = "\(proto) \(host):\(port)\(who) \(kind)"
        if let r = item["reason"]?.stringValue { s += ": " + r }
        return s
    }
}
