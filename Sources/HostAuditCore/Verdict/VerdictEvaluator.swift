/// Evaluates flows against a ruleset snapshot by emulating the nf_tables
/// expression VM on a synthesized packet: the first packet of an outbound
/// flow, or the answer to it coming back.
///
/// The outbound packet runs the base chains on the output hook, then
/// postrouting; the answer (SYN-ACK, reset or ICMP error) runs prerouting,
/// then input, with conntrack state established (related for an ICMP
/// error). On each hook the base chains of every table whose family applies
/// (ip or inet for IPv4, ip6 or inet for IPv6) run in priority order,
/// legacy x_tables tables among them at their kernel priorities; nat chains
/// run as one group at the NAT hook's priority, as the kernel's NAT core
/// calls them, and only for a new connection. Within equal priority the
/// kernel runs the most recently registered hook first; the snapshot has no
/// registration times, so creation order (table handle, chain handle) stands
/// in for it, legacy tables counting as the oldest.
///
/// Anything that cannot be known statically (rate limits, quotas, opaque
/// expressions, unknown ports…) is explored both ways; the answer is a
/// verdict only when every branch agrees.
public struct VerdictEvaluator: Sendable {
    public let snapshot: RulesetSnapshot
    let tables: [TableIndex]
    private let plans: [PlanKey: [HookPlan]]
    /// Families whose outbound path can change the source (SNAT, masquerade):
    /// the answer's destination before de-NAT is then not the flow's source.
    private let sourceNATFamilies: Set<Bool>
    public var maxBranches: Int

    struct PlanKey: Hashable {
        var ipv6: Bool
        var reply: Bool
    }

    struct TableIndex: Sendable {
        let table: Table
        let chainIndex: [String: Int]
        let sets: [String: CompiledSet]
        /// Rule text as `firewall show` prints it (built once per table).
        let text: RuleText
        /// The legacy x_tables table this one stands for, if any.
        let legacy: IptablesTable?
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

    public init(snapshot: RulesetSnapshot, maxBranches: Int = 1024) {
        self.snapshot = snapshot
        self.maxBranches = maxBranches
        var all: [(Table, IptablesTable?)] = snapshot.tables.map { ($0, nil) }
        for lt in snapshot.legacy where lt.family == .ip || lt.family == .ip6 {
            all.append((lt.nftEquivalent(handle: 0), lt))
        }
        tables = all.map { t, legacy in
            var ci: [String: Int] = [:]
            for (i, c) in t.chains.enumerated() { ci[c.name] = i }
            var sets: [String: CompiledSet] = [:]
            for s in t.sets { sets[s.name] = CompiledSet(s) }
            return TableIndex(table: t, chainIndex: ci, sets: sets, text: RuleText(table: t), legacy: legacy)
        }
        // Legacy tables listed by the kernel but not read (no permission, changing): opaque.
        var unread: [Family: [String]] = [:]
        for (family, names) in snapshot.legacyTables {
            unread[family] = names.filter { n in !snapshot.legacy.contains { $0.family == family && $0.name == n } }
        }
        let allTables = all.map(\.0)
        var plans: [PlanKey: [HookPlan]] = [:]
        for v6 in [false, true] {
            plans[PlanKey(ipv6: v6, reply: false)] = [Hook.output, .postrouting].map {
                Self.plan(hook: $0, ipv6: v6, tables: allTables, legacy: unread)
            }
            plans[PlanKey(ipv6: v6, reply: true)] = [Hook.prerouting, .input].map {
                Self.plan(hook: $0, ipv6: v6, tables: allTables, legacy: unread)
            }
        }
        self.plans = plans
        var snat = Set<Bool>()
        for t in allTables {
            let natOut = t.chains.contains { $0.base?.type == "nat" && ($0.base?.hook == .postrouting || $0.base?.hook == .output) }
            guard natOut else { continue }
            let changesSource = t.chains.contains { c in
                c.rules.contains { r in
                    r.expressions.contains { e in
                        switch e {
                        case .nat(let n): return n.isSNAT
                        case .masq: return true
                        case .target(let x): return x.name == "SNAT" || x.name == "MASQUERADE"
                        default: return false
                        }
                    }
                }
            }
            guard changesSource else { continue }
            if t.family == .inet || t.family == .ip { snat.insert(false) }
            if t.family == .inet || t.family == .ip6 { snat.insert(true) }
        }
        sourceNATFamilies = snat
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
            let p: Int32 = hook == .output || hook == .prerouting ? -100 : 100
            // The NAT hook was registered with the first nat chain: treat it as the oldest.
            items.append(Item(entry: .natGroup(nat.map { ($0.0, $0.1) }, priority: p), priority: p, order: (0, 0)))
        }
        let family: Family = ipv6 ? .ip6 : .ip
        for name in legacy[family] ?? [] {
            guard let p = IptablesTable.legacyPriorities[name]?[hook] else { continue }
            items.append(Item(entry: .legacy(family: family, table: name), priority: p, order: (0, 0)))
        }
        // Lower priority first; on equal priority the newest registration first.
        items.sort { a, b in a.priority != b.priority ? a.priority < b.priority : a.order > b.order }
        return HookPlan(hook: hook, entries: items.map(\.entry))
    }

    /// Evaluates one flow.
    public func evaluate(_ flow: VerdictFlow, local: LocalKnowledge = .unknown) -> VerdictResult {
        explore(flow, reply: nil, local: local)
    }

    /// Evaluates the answer to `flow` coming back through prerouting and
    /// input: a SYN-ACK or reset from the destination (conntrack state
    /// established), or an ICMP error about the flow (related) from any
    /// router. It arrives on the flow's output interface; the destination
    /// port is the flow's source port, unknown unless given.
    public func evaluateReply(_ flow: VerdictFlow, kind: ReplyKind, local: LocalKnowledge = .unknown) -> VerdictResult {
        var r = explore(flow, reply: kind, local: local)
        if sourceNATFamilies.contains(flow.isIPv6) {
            r.notes.append("the output path may rewrite the source (SNAT, masquerade): the answer's addresses before de-NAT are taken as unknown")
        }
        return r
    }

    /// Evaluates the first packet of a new connection coming in: from
    /// `flow.source` (an outside address) to a local socket at
    /// `flow.destination`:`flow.destinationPort`, received on `interface`,
    /// through prerouting (NAT included) and input, conntrack state new. The
    /// same hook plans and expression VM as the outbound flow and its answer.
    /// A prerouting DNAT that rewrites the destination makes the branch
    /// unknown (the connection then goes elsewhere).
    public func evaluateInbound(_ flow: VerdictFlow, interface: InboundInterface, local: LocalKnowledge = .unknown) -> VerdictResult {
        explore(flow, reply: nil, inbound: interface, local: local)
    }

    func explore(_ flow: VerdictFlow, reply: ReplyKind?, inbound: InboundInterface? = nil, local: LocalKnowledge) -> VerdictResult {
        var outcomes: [BranchOutcome] = []
        var forced: [Int] = []
        var truncated = false
        while true {
            let run = EvaluationRun(evaluator: self, flow: flow, reply: reply, inbound: inbound, local: local, forced: forced)
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
                rule: "rules of legacy \(family == .ip6 ? "ip6tables" : "iptables") table \(legacy) (x_tables), not evaluated statically",
                isLegacy: true)
        }
        let table = tables[t].table
        let chain = table.chains[c]
        let rule = r.map { chain.rules[$0] }
        let text: String
        if let lt = tables[t].legacy {
            // A legacy x_tables table read whole: the rule as iptables-save prints it.
            text = rule.map { lt.ruleText(chain: chain.name, handle: $0.handle) ?? "rule \($0.handle)" }
                ?? "-P \(chain.name) \(lt.chains.first { $0.name == chain.name }?.policy ?? "ACCEPT")"
        } else {
            text = rule.map { tables[t].text.preferred($0) } ?? "policy \(chain.base?.policy?.name ?? "accept")"
        }
        return RuleLocation(
            family: table.family, table: table.name, chain: chain.name, handle: rule?.handle, rule: text,
            isLegacy: tables[t].legacy != nil)
    }

    func plan(ipv6: Bool, reply: Bool = false) -> [HookPlan] { plans[PlanKey(ipv6: ipv6, reply: reply)] ?? [] }

    func replyDestinationUnknown(ipv6: Bool) -> Bool { sourceNATFamilies.contains(ipv6) }
}

/// The interface an inbound packet arrives on (`meta iifname`, `iif`, `-i`);
/// nil name or index: unknown, and rules that test it are explored both ways.
public struct InboundInterface: Sendable, Hashable {
    public var name: String?
    public var index: UInt32?
    public init(name: String?, index: UInt32?) {
        self.name = name
        self.index = index
    }
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
