/// Evaluates outbound flows against a ruleset snapshot by emulating the
/// nf_tables expression VM on a synthesized first packet.
///
/// Base chains on the output hook, then postrouting, of every table whose
/// family applies (ip or inet for IPv4, ip6 or inet for IPv6) run in priority
/// order; nat chains run as one group at the NAT hook's priority, as the
/// kernel's NAT core calls them. Within equal priority the kernel runs the
/// most recently registered hook first; the snapshot has no registration
/// times, so creation order (table handle, chain handle) stands in for it.
///
/// Anything that cannot be known statically (rate limits, quotas, opaque
/// expressions, unknown ports…) is explored both ways; the answer is a
/// verdict only when every branch agrees.
public struct VerdictEvaluator: Sendable {
    public let snapshot: RulesetSnapshot
    let tables: [TableIndex]
    private let plans: [Bool: [HookPlan]]
    public var maxBranches: Int

    struct TableIndex: Sendable {
        let table: Table
        let chainIndex: [String: Int]
        let sets: [String: CompiledSet]
        /// Rule text as `firewall show` prints it (built once per table).
        let text: RuleText
    }

    enum PlanEntry: Sendable {
        case chain(table: Int, chain: Int, priority: Int32)
        case natGroup([(table: Int, chain: Int)], priority: Int32)
        case legacy(family: Family, table: String)
    }

    struct HookPlan: Sendable {
        let hook: Hook
        let entries: [PlanEntry]
    }

    /// Legacy x_tables and their priorities on output / postrouting.
    static let legacyPriorities: [String: (output: Int32?, postrouting: Int32?)] = [
        "raw": (-300, nil), "mangle": (-150, -150), "nat": (-100, 100), "filter": (0, nil), "security": (50, nil),
    ]

    public init(snapshot: RulesetSnapshot, maxBranches: Int = 1024) {
        self.snapshot = snapshot
        self.maxBranches = maxBranches
        tables = snapshot.tables.map { t in
            var ci: [String: Int] = [:]
            for (i, c) in t.chains.enumerated() { ci[c.name] = i }
            var sets: [String: CompiledSet] = [:]
            for s in t.sets { sets[s.name] = CompiledSet(s) }
            return TableIndex(table: t, chainIndex: ci, sets: sets, text: RuleText(table: t))
        }
        var plans: [Bool: [HookPlan]] = [:]
        for v6 in [false, true] {
            plans[v6] = [Hook.output, .postrouting].map { Self.plan(hook: $0, ipv6: v6, tables: snapshot.tables, legacy: snapshot.legacyTables) }
        }
        self.plans = plans
    }

    static func plan(hook: Hook, ipv6: Bool, tables: [Table], legacy: [Family: [String]]) -> HookPlan {
        struct Item {
            var entry: PlanEntry
            var priority: Int32
            var order: (UInt64, UInt64)
        }
        var items: [Item] = []
        var nat: [(Int, Int, Int32, UInt64, UInt64)] = []
        for (ti, t) in tables.enumerated() {
            guard t.family == .inet || t.family == (ipv6 ? .ip6 : .ip), !t.flags.contains(.dormant) else { continue }
            for (ci, c) in t.chains.enumerated() {
                guard let b = c.base, b.hook == hook else { continue }
                if b.type == "nat" {
                    nat.append((ti, ci, b.priority, t.handle, c.handle))
                } else {
                    items.append(Item(entry: .chain(table: ti, chain: ci, priority: b.priority), priority: b.priority, order: (t.handle, c.handle)))
                }
            }
        }
        if !nat.isEmpty {
            nat.sort { a, b in a.2 != b.2 ? a.2 < b.2 : (a.3, a.4) > (b.3, b.4) }
            let p: Int32 = hook == .output ? -100 : 100
            // The NAT hook was registered with the first nat chain: treat it as the oldest.
            items.append(Item(entry: .natGroup(nat.map { ($0.0, $0.1) }, priority: p), priority: p, order: (0, 0)))
        }
        let family: Family = ipv6 ? .ip6 : .ip
        for name in legacy[family] ?? [] {
            guard let prios = legacyPriorities[name], let p = hook == .output ? prios.output : prios.postrouting else { continue }
            items.append(Item(entry: .legacy(family: family, table: name), priority: p, order: (0, 0)))
        }
        // Lower priority first; on equal priority the newest registration first.
        items.sort { a, b in a.priority != b.priority ? a.priority < b.priority : a.order > b.order }
        return HookPlan(hook: hook, entries: items.map(\.entry))
    }

    /// Evaluates one flow.
    public func evaluate(_ flow: VerdictFlow, local: LocalKnowledge = .unknown) -> VerdictResult {
        var outcomes: [BranchOutcome] = []
        var forced: [Int] = []
        var truncated = false
        while true {
            let run = EvaluationRun(evaluator: self, flow: flow, local: local, forced: forced)
            let outcome = run.execute()
            outcomes.append(outcome)
            // Depth-first over the choices taken: advance the last choice that has an untried option.
            var choices = run.chooser.taken
            var i = choices.count - 1
            while i >= 0 && choices[i] + 1 >= run.chooser.arities[i] { i -= 1 }
            if i < 0 { break }
            if outcomes.count >= maxBranches {
                truncated = true
                break
            }
            choices[i] += 1
            forced = Array(choices[0...i])
        }
        return summarize(flow: flow, outcomes, truncated: truncated)
    }

    func summarize(flow: VerdictFlow, _ outcomes: [BranchOutcome], truncated: Bool) -> VerdictResult {
        let first = outcomes[0]
        let path = first.path.map { step in
            PathStep(location: location(step.table, step.chain, step.rule, legacy: step.legacy), matched: step.matched, hook: step.hook)
        }
        var reasons: [String] = []
        for o in outcomes {
            for r in o.reasons where !reasons.contains(r) { reasons.append(r) }
        }
        let verdicts = Set(outcomes.map(\.verdict))
        var notes: [String] = []
        if truncated {
            notes.append("more than \(maxBranches) combinations of unknowable matches; gave up")
            notes += reasons
            return VerdictResult(flow: flow, verdict: .unknown, decidedBy: nil, path: path, notes: notes, branches: outcomes.count)
        }
        if verdicts.count == 1, let v = verdicts.first, v != .unknown {
            let deciders = Set(outcomes.map { $0.decider.map { location($0.table, $0.chain, $0.rule, legacy: $0.legacy) } })
            if !reasons.isEmpty {
                notes.append("not known statically: " + reasons.joined(separator: "; "))
                notes.append("every one of the \(outcomes.count) branches gives \(v.rawValue)")
            }
            let decider = deciders.count == 1 ? first.decider.map { location($0.table, $0.chain, $0.rule, legacy: $0.legacy) } : nil
            if deciders.count > 1 { notes.append("different rules decide in different branches") }
            return VerdictResult(flow: flow, verdict: v, decidedBy: decider, path: path, notes: notes, branches: outcomes.count)
        }
        for o in outcomes {
            if let u = o.unknownReason, !notes.contains(u) { notes.append(u) }
        }
        notes += reasons
        if verdicts.count > 1 {
            let names = verdicts.map(\.rawValue).sorted().joined(separator: ", ")
            notes.append("the branches disagree (\(names))")
        }
        return VerdictResult(flow: flow, verdict: .unknown, decidedBy: nil, path: path, notes: notes, branches: outcomes.count)
    }

    /// The location of a rule (`rule` = index in the chain) or of the chain's policy (`rule` = nil).
    func location(_ t: Int, _ c: Int, _ r: Int?, legacy: String? = nil) -> RuleLocation {
        if let legacy {
            // A legacy x_tables table: its rules are not readable over netlink.
            let family: Family = t == 1 ? .ip6 : .ip
            return RuleLocation(
                family: family, table: legacy, chain: "(legacy x_tables)", handle: nil,
                rule: "rules of legacy \(family == .ip6 ? "ip6tables" : "iptables") table \(legacy) (x_tables), not evaluated statically")
        }
        let table = tables[t].table
        let chain = table.chains[c]
        if let r {
            let rule = chain.rules[r]
            return RuleLocation(
                family: table.family, table: table.name, chain: chain.name, handle: rule.handle,
                rule: tables[t].text.preferred(rule))
        }
        return RuleLocation(
            family: table.family, table: table.name, chain: chain.name, handle: nil,
            rule: "policy \(chain.base?.policy?.name ?? "accept")")
    }

    func plan(ipv6: Bool) -> [HookPlan] { plans[ipv6] ?? [] }
}

/// The result of one branch.
struct BranchOutcome {
    struct Step {
        var table: Int
        var chain: Int
        var rule: Int?
        var matched: Bool
        var hook: Hook
        var legacy: String? = nil
    }
    struct Decider: Hashable {
        var table: Int
        var chain: Int
        var rule: Int?
        var legacy: String? = nil
    }
    var verdict: VerdictKind
    var decider: Decider?
    var path: [Step]
    var reasons: [String]
    var unknownReason: String?
}

/// Records the choices made at unknowable points; replays a forced prefix.
final class Chooser {
    let forced: [Int]
    private(set) var taken: [Int] = []
    private(set) var arities: [Int] = []
    private(set) var reasons: [String] = []

    init(forced: [Int]) { self.forced = forced }

    func choose(_ arity: Int, _ reason: @autoclosure () -> String) -> Int {
        let i = taken.count
        let c = i < forced.count ? min(forced[i], arity - 1) : 0
        taken.append(c)
        arities.append(arity)
        let r = reason()
        if !reasons.contains(r) { reasons.append(r) }
        return c
    }
}
