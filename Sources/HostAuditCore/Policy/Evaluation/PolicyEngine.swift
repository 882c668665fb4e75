import Foundation
import Synchronization

/// Policies compiled for evaluation: parameters resolved (defaults, then the
/// host's overrides), regexes compiled, paths split. Evaluating is then a
/// pure function of a facts document (and egress observations).
public struct PolicyEngine: Sendable {
    struct CompiledRule: Sendable {
        var policy: String
        var rule: PolicyRule
        var when: CompiledCheck?
        var check: Kind
        enum Kind: Sendable {
            case facts(CompiledCheck)
            case reachable([PolicyEgressTarget])
            case blocked([EgressFlow])
        }
    }

    struct CompiledWaiver: Sendable {
        var waiver: Waiver
        var scope: CompiledCheck?
    }

    let rules: [CompiledRule]
    let waivers: [String: [CompiledWaiver]]
    let allWaivers: [CompiledWaiver]

    public var ruleCount: Int { rules.count }

    /// Compiles `policies`. Throws when an override makes a rule invalid
    /// (e.g. a regex parameter that does not compile), located at the override.
    public init(policies: [Policy], parameters: ParameterOverrides = .none, waivers: [Waiver] = []) throws(PolicyErrors) {
        var errors: [PolicyError] = []
        var compiled: [CompiledRule] = []
        for p in policies {
            var values: [String: (JSONValue, SourceLocation)] = [:]
            for param in p.parameters {
                values[param.name] = parameters.values[param.name].map { ($0.value, $0.location) }
                    ?? (param.defaultValue, param.location)
            }
            let compiler = Compiler(policy: p, parameters: values)
            for r in p.rules {
                do {
                    let when = try r.when.map { c throws(PolicyError) in try compiler.compile(c) }
                    let kind: CompiledRule.Kind
                    switch r.check {
                    case .facts(let c): kind = .facts(try compiler.compile(c))
                    case .reachable(let targets, let loc): kind = .reachable(try compiler.expand(targets, at: loc))
                    case .blocked(let flows, _): kind = .blocked(flows)
                    }
                    compiled.append(CompiledRule(policy: p.name, rule: r, when: when, check: kind))
                } catch {
                    errors.append(error)
                }
            }
        }
        var byRule: [String: [CompiledWaiver]] = [:]
        var all: [CompiledWaiver] = []
        let empty = Policy(
            name: "waivers", version: nil, description: nil, file: "", location: SourceLocation(file: "", line: 1, column: 1),
            parameters: [], lists: [:], rules: [])
        for w in waivers {
            do {
                let scope = try w.scope.map { c throws(PolicyError) in try Compiler(policy: empty, parameters: [:]).compile(c) }
                let cw = CompiledWaiver(waiver: w, scope: scope)
                byRule[w.rule, default: []].append(cw)
                all.append(cw)
            } catch {
                errors.append(error)
            }
        }
        if !errors.isEmpty { throw PolicyErrors(errors) }
        self.rules = compiled
        self.waivers = byRule
        self.allWaivers = all
    }

    func selected(_ profile: Profile?, only: Set<String>? = nil) -> [CompiledRule] {
        rules.filter { r in
            (profile.map { r.rule.profiles.contains($0) } ?? true) && (only.map { $0.contains(r.rule.id) } ?? true)
        }
    }

    /// The targets and flows the selected rules ask about (for an oracle to answer first).
    public func egressRequests(profile: Profile? = nil) -> (targets: [PolicyEgressTarget], flows: [EgressFlow]) {
        var targets: [PolicyEgressTarget] = []
        var flows: [EgressFlow] = []
        for r in selected(profile) {
            switch r.check {
            case .reachable(let t): targets += t
            case .blocked(let f): flows += f
            case .facts: break
            }
        }
        return (targets, flows)
    }

    /// Asks `oracle` for every egress expectation, then evaluates.
    public func evaluate(
        facts: JSONValue, oracle: any EgressOracle, profile: Profile? = nil, now: Date = Date()
    ) async -> [Finding] {
        let (targets, flows) = egressRequests(profile: profile)
        let observations = await EgressObservations.gather(targets: targets, flows: flows, from: oracle)
        return evaluate(facts: facts, egress: observations, profile: profile, now: now)
    }

    /// Evaluates every selected rule. `egress` nil: egress rules are skipped
    /// (nothing was probed). `probesSkipped`: probes were not sent by request
    /// (`--no-probes`): `reachable` rules are skipped with this detail while
    /// `blocked` rules are still answered from `egress`. Rules run in parallel
    /// on large rule sets.
    public func evaluate(
        facts: JSONValue, egress: EgressObservations? = nil, profile: Profile? = nil, now: Date = Date(),
        only: Set<String>? = nil, perMatch: Duration = MatchBudget.defaultPerMatch, deadline: ContinuousClock.Instant? = nil,
        probesSkipped: String? = nil
    ) -> [Finding] {
        let selected = selected(profile, only: only)
        let index = FactsIndex(root: facts)
        var findings = [Finding?](repeating: nil, count: selected.count)
        let workers = selected.count >= 64 ? max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8)) : 1
        if workers == 1 {
            for (i, r) in selected.enumerated() {
                findings[i] = evaluate(
                    r, facts: facts, index: index, egress: egress, now: now, perMatch: perMatch, deadline: deadline,
                    probesSkipped: probesSkipped)
            }
        } else {
            // Worker w evaluates rules w, w + workers, …; its findings are
            // handed in under the lock once, then put back in rule order.
            let byWorker = Mutex([[Finding]](repeating: [], count: workers))
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                var mine: [Finding] = []
                var i = w
                while i < selected.count {
                    mine.append(
                        evaluate(
                            selected[i], facts: facts, index: index, egress: egress, now: now, perMatch: perMatch, deadline: deadline,
                            probesSkipped: probesSkipped))
                    i += workers
                }
                byWorker.withLock { $0[w] = mine }
            }
            for (w, mine) in byWorker.withLock({ $0 }).enumerated() {
                for (j, f) in mine.enumerated() { findings[w + j * workers] = f }
            }
        }
        var result = findings.map { $0! }
        // An expired waiver no longer waives, and is itself reported.
        for w in allWaivers where now >= w.waiver.expiresAt {
            let ruleExists = selected.contains { $0.rule.id == w.waiver.rule }
            guard ruleExists else { continue }
            result.append(
                Finding(
                    rule: "waiver-expired", policy: "waivers",
                    title: "The waiver for \(w.waiver.rule) expired on \(w.waiver.expires)", severity: .low,
                    status: .fail,
                    evidence: [
                        .object(
                            JSONObject([
                                ("kind", "waiver"), ("rule", .string(w.waiver.rule)), ("reason", .string(w.waiver.reason)),
                                ("expires", .string(w.waiver.expires)), ("location", .string(w.waiver.location.description)),
                            ]))
                    ],
                    remediation: "Fix the finding, or renew the waiver with a new expiry date and a current reason.",
                    detail: "expired waivers stop waiving: \(w.waiver.rule) is reported as it is"))
        }
        return result
    }

    /// One rule under its own match budget: a regex match that runs out makes
    /// the rule an `error` naming the pattern and the item (process, file…)
    /// whose value it could not finish, unless the rule failed on other evidence.
    func evaluate(
        _ r: CompiledRule, facts: JSONValue, index: FactsIndex, egress: EgressObservations?, now: Date,
        perMatch: Duration = MatchBudget.defaultPerMatch, deadline: ContinuousClock.Instant? = nil, probesSkipped: String? = nil
    ) -> Finding {
        let budget = MatchBudget(perMatch: perMatch, deadline: deadline)
        var f = MatchBudget.$current.withValue(budget) {
            evaluateUnbudgeted(r, facts: facts, index: index, egress: egress, now: now, probesSkipped: probesSkipped)
        }
        let exhausted = budget.exhausted
        guard !exhausted.isEmpty else { return f }
        let pastDeadline = deadline.map { ContinuousClock().now >= $0 } ?? false
        let items = budget.items
        let patterns = Array(Set(exhausted.map(\.pattern))).sorted()
        var what = items.prefix(5).map { Self.describeItem($0.path, $0.item) }
        if what.isEmpty { what = exhausted.prefix(3).map { "the value " + Self.excerpt($0.input) } }
        if items.count > 5 { what.append("and \(items.count - 5) more") }
        let why = pastDeadline
            ? "the policy evaluation's time budget ran out"
            : "a match may take \(perMatch.components.seconds * 1000 + perMatch.components.attoseconds / 1_000_000_000_000_000) ms"
        let detail =
            "rule \(r.rule.id): matching \(patterns.map { "'\($0)'" }.joined(separator: ", ")) did not finish within its budget "
            + "(\(why)) on \(what.joined(separator: "; ")); the outcome for \(items.count == 1 ? "it" : "them") is unknown"
        switch f.status {
        case .fail:
            f.detail = (f.detail.map { $0 + "; " } ?? "") + "also: " + detail
        case .pass where !pastDeadline:
            break
        default:
            f.status = .error
            f.detail = detail
            f.evidence = items.prefix(CheckEvaluator.evidenceLimit).map { (path, item) in
                var e = JSONObject()
                if CheckEvaluator.category(path) == "processes", let pid = item["pid"] {
                    e["kind"] = .string("process")
                    e["pid"] = pid
                    e["comm"] = item["comm"] ?? .null
                    e["exe"] = item["exe"]?["path"] ?? .null
                } else {
                    e["kind"] = .string(CheckEvaluator.category(path))
                }
                e["path"] = .string(path)
                e["detail"] = .string("a regular expression match ran out of its budget on this item")
                return .object(e)
            }
        }
        return f
    }

    static func describeItem(_ path: String, _ item: JSONValue) -> String {
        if let pid = item["pid"]?.intValue {
            return "process \(pid) (\(item["comm"]?.stringValue ?? "?")) at \(path)"
        }
        if let p = item["path"]?.stringValue { return "\(p) at \(path)" }
        return path
    }

    static func excerpt(_ s: String) -> String {
        let n = s.utf8.count
        guard n > 48 else { return "'\(s)'" }
        return "'\(String(decoding: s.utf8.prefix(48), as: UTF8.self))…' (\(n) bytes)"
    }

    func evaluateUnbudgeted(
        _ r: CompiledRule, facts: JSONValue, index: FactsIndex, egress: EgressObservations?, now: Date, probesSkipped: String? = nil
    ) -> Finding {
        var f = Finding(
            rule: r.rule.id, policy: r.policy, title: r.rule.title, severity: r.rule.severity, status: .pass,
            remediation: r.rule.remediation, references: r.rule.references)
        f.controls = r.rule.controls
        f.tags = r.rule.tags
        if let when = r.when {
            let w = CheckEvaluator.evaluate(when, on: facts, prefix: "", collect: false)
            switch w.outcome {
            case .pass: break
            case .fail:
                f.status = .skip
                f.detail = "not applicable on this host"
                return f
            case .unknown:
                let u = CheckEvaluator.evaluate(when, on: facts, prefix: "", collect: true)
                f.status = .skip
                f.detail = "not applicable: unknown on this host (\(u.unknown.joined(separator: ", ")) is null or absent)"
                return f
            }
        }
        switch r.check {
        case .facts(let check):
            let result = CheckEvaluator.evaluate(check, on: facts, prefix: "", collect: true, index: index)
            switch result.outcome {
            case .pass: f.status = .pass
            case .fail:
                f.status = .fail
                f.evidence = result.evidence
            case .unknown:
                f.status = .error
                let paths = Array(Set(result.unknown)).sorted()
                f.detail = "cannot evaluate: \(paths.joined(separator: ", ")) is null or absent in the facts"
                f.evidence = paths.map { p in
                    var e = JSONObject()
                    e["kind"] = .string(CheckEvaluator.category(p))
                    e["path"] = .string(p)
                    e["detail"] = .string("unknown (null or absent)\(Self.reason(for: p, in: facts).map { ": " + $0 } ?? "")")
                    return .object(e)
                }
            }
        case .reachable(let targets):
            guard let egress, probesSkipped == nil else {
                f.status = .skip
                f.detail = probesSkipped ?? "egress was not probed"
                return f
            }
            var failing: [JSONValue] = []
            var errors: [String] = []
            for t in targets {
                let outcomes = egress.probes[t] ?? []
                if outcomes.isEmpty {
                    errors.append(t == .packageSources ? "no package sources were found to probe" : "no probe outcome for \(t)")
                    continue
                }
                if !outcomes.contains(where: \.isOpen) {
                    for o in outcomes {
                        var e = o.raw.objectValue ?? JSONObject()
                        if e["kind"] == nil {
                            var k = JSONObject([("kind", "egress")])
                            for (key, value) in e.entries { k[key] = value }
                            e = k
                        }
                        if e["target"] == nil { e["target"] = .string(t.description) }
                        failing.append(.object(e))
                    }
                }
            }
            if !failing.isEmpty {
                f.status = .fail
                f.evidence = failing
                f.detail = "not reachable: see each probe's cause and explanation"
            } else if !errors.isEmpty {
                f.status = .error
                f.detail = errors.joined(separator: "; ")
            }
        case .blocked(let flows):
            guard let egress else {
                f.status = .skip
                f.detail = "the firewall verdict was not evaluated"
                return f
            }
            var accepted: [JSONValue] = []
            var unknown: [String] = []
            for flow in flows {
                let v = egress.verdicts[flow] ?? .unknown
                switch v.verdict {
                case "drop", "reject": break
                case "accept":
                    var e = JSONObject([("kind", "flow"), ("flow", flow.json())])
                    for (k, value) in (v.raw.objectValue ?? JSONObject()).entries where k != "flow" { e[k] = value }
                    e["detail"] = .string("\(flow) is accepted by the local ruleset")
                    accepted.append(.object(e))
                default:
                    let notes = v.raw["notes"]?.arrayValue?.compactMap(\.stringValue) ?? []
                    unknown.append("\(flow): verdict unknown\(notes.isEmpty ? "" : " (" + notes.joined(separator: "; ") + ")")")
                }
            }
            if !accepted.isEmpty {
                f.status = .fail
                f.evidence = accepted
            } else if !unknown.isEmpty {
                f.status = .error
                f.detail = unknown.joined(separator: "; ")
            }
        }
        if f.status == .fail { applyWaivers(&f, now: now) }
        return f
    }

    /// A collector's own reason for a null section (e.g. `firewall.error`).
    static func reason(for path: String, in facts: JSONValue) -> String? {
        let category = CheckEvaluator.category(path)
        guard let section = facts[category] else { return "no '\(category)' facts were collected" }
        if let e = section["error"]?.stringValue { return e }
        if let e = section["runtime_unavailable_reason"]?.stringValue, path.hasPrefix("selinux.kernel") { return e }
        return nil
    }

    func applyWaivers(_ f: inout Finding, now: Date) {
        for w in waivers[f.rule] ?? [] where now < w.waiver.expiresAt {
            var waiverJSON = JSONObject()
            waiverJSON["reason"] = .string(w.waiver.reason)
            waiverJSON["expires"] = .string(w.waiver.expires)
            waiverJSON["location"] = .string(w.waiver.location.description)
            guard let scope = w.scope else {
                f.status = .skip
                f.detail = "waived: \(w.waiver.reason)"
                f.waiver = .object(waiverJSON)
                return
            }
            var kept: [JSONValue] = []
            var waived: [JSONValue] = []
            for e in f.evidence {
                if e["summary"] == nil, let v = e["value"],
                    CheckEvaluator.evaluate(scope, on: v, prefix: "", collect: false).outcome == .pass
                {
                    waived.append(e)
                } else {
                    kept.append(e)
                }
            }
            guard !waived.isEmpty else { continue }
            waiverJSON["waived_evidence"] = .array(waived)
            f.evidence = kept
            f.waiver = .object(waiverJSON)
            if !kept.contains(where: { $0["summary"] == nil }) {
                f.status = .skip
                f.detail = "waived: \(w.waiver.reason)"
                return
            }
        }
    }
}

/// Resolves references and compiles one policy's checks.
struct Compiler {
    let policy: Policy
    let parameters: [String: (JSONValue, SourceLocation)]

    func value(_ op: Operand) -> (JSONValue, String) {
        switch op {
        case .literal(let v): return (v, "'\(v.plainText)'")
        case .parameter(let p): return (parameters[p]?.0 ?? .null, "parameter \(p) (\(parameters[p]?.0.plainText ?? "null"))")
        case .list(let l): return (.array(policy.lists[l]?.values ?? []), "list \(l)")
        }
    }

    func compile(_ m: Matcher) throws(PolicyError) -> CompiledMatcher {
        let (v, described) = value(m.operand)
        do {
            return try CompiledMatcher(kind: m.kind, value: v, describedValue: described)
        } catch {
            var loc = m.location
            if case .parameter(let p) = m.operand, let l = parameters[p]?.1 { loc = l }
            throw PolicyError(.invalidRegex, error.message, at: loc)
        }
    }

    func compile(_ c: PolicyCheck) throws(PolicyError) -> CompiledCheck {
        switch c {
        case .match(let subject, let m, _):
            let s: CompiledSubject
            switch subject {
            case .fact(let p?): s = .path(p)
            case .fact(nil): s = .item
            case .parameter(let name): s = .constant(name: name, value: parameters[name]?.0 ?? .null)
            }
            return .match(s, try compile(m))
        case .all(let cs, _): return .all(try cs.map { c throws(PolicyError) in try compile(c) })
        case .any(let cs, _): return .any(try cs.map { c throws(PolicyError) in try compile(c) })
        case .not(let inner, _): return .not(try compile(inner))
        case .quantified(let q, _):
            return .quantified(
                CompiledQuantifier(
                    kind: q.kind, path: q.path, condition: try q.condition.map { c throws(PolicyError) in try compile(c) },
                    comparison: try q.comparison.map { m throws(PolicyError) in try compile(m) },
                    description: q.condition.map(describe) ?? "any item"))
        }
    }

    func expand(_ targets: [PolicyEgressTarget], at loc: SourceLocation) throws(PolicyError) -> [PolicyEgressTarget] {
        var out: [PolicyEgressTarget] = []
        for t in targets {
            guard case .parameter(let p) = t else {
                out.append(t)
                continue
            }
            let (v, vloc) = parameters[p] ?? (.null, loc)
            for item in v.arrayValue ?? [v] {
                guard let s = item.stringValue, let target = EgressTargetSyntax.parse(s) else {
                    throw PolicyError(.invalidValue, "parameter '\(p)': '\(item.plainText)' is not a target", at: vloc)
                }
                out.append(target)
            }
        }
        return out
    }

    func describe(_ c: PolicyCheck) -> String {
        switch c {
        case .match(let subject, let m, _):
            let s: String
            switch subject {
            case .fact(let p?): s = p.text
            case .fact(nil): s = "item"
            case .parameter(let n): s = "parameter \(n)"
            }
            if m.kind == .exists, case .literal(.bool(let b)) = m.operand { return b ? "\(s) exists" : "\(s) is absent" }
            return "\(s) \(m.kind.rawValue) \(value(m.operand).1)"
        case .all(let cs, _): return "all of (" + cs.map(describe).joined(separator: "; ") + ")"
        case .any(let cs, _): return "any of (" + cs.map(describe).joined(separator: "; ") + ")"
        case .not(let inner, _): return "not (" + describe(inner) + ")"
        case .quantified(let q, _):
            return "\(q.kind.rawValue) \(q.path.text)\(q.condition.map { " where " + describe($0) } ?? "")"
        }
    }
}

extension PolicyEngine {
    /// Ids of the selected rules that probe (`reachable`), and of all the others
    /// (so an audit without probes can still answer `blocked` rules statically).
    public func ruleIDs(profile: Profile? = nil) -> (reachable: Set<String>, other: Set<String>) {
        var reachable = Set<String>()
        var other = Set<String>()
        for r in selected(profile) {
            if case .reachable = r.check { reachable.insert(r.rule.id) } else { other.insert(r.rule.id) }
        }
        return (reachable, other)
    }
}
