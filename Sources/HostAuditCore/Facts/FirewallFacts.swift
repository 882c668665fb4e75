/// The `firewall` facts: the netfilter snapshot shaped for policies.
///
/// Policies ask questions like "is there a default-deny input policy?",
/// "are two backends loaded at once?", "does any rule reference a set that
/// does not exist?". The full ruleset is `hostaudit firewall show`; this is the
/// part a rule can test by path (`firewall.hooks.input[].policy`,
/// `firewall.backends.conflict`, `firewall.rules[].packets`).
public struct FirewallFacts: Encodable, Sendable, Equatable {
    /// False with `--root`, without CAP_NET_ADMIN, or when the dump failed; `error` says why.
    public var available: Bool
    public var error: String?
    public var generation: UInt32?
    public var backends: Backends?
    public var summary: Summary?
    public var tables: [TableFacts]
    /// Base chains per hook, in the order the kernel runs them (priority, then registration).
    public var hooks: [String: [BaseChainFacts]]
    public var rules: [RuleFacts]
    public var sets: [SetFacts]
    /// Rules whose lookup, dynset or objref names a set that is not in the snapshot.
    public var missingSetReferences: [SetReference]

    public struct Backends: Encodable, Sendable, Equatable {
        /// Native nftables tables (no x_tables expressions).
        public var nftables: Bool
        /// Tables holding x_tables expressions (what iptables-nft writes).
        public var iptablesNft: Bool
        /// Legacy x_tables loaded (`/proc/net/ip*_tables_names`), invisible to `nft`.
        public var iptablesLegacy: Bool
        public var legacyTables: [String]
        /// Rules in the legacy tables (null when their contents could not be read).
        public var legacyRules: Int?
        /// Legacy x_tables and nf_tables both filter (rules, or a drop policy, in
        /// each): a packet must pass both, a classic reason a rule "does nothing".
        public var conflict: Bool
        public var note: String?
    }

    public struct Summary: Encodable, Sendable, Equatable {
        public var tables: Int
        public var chains: Int
        public var baseChains: Int
        public var rules: Int
        public var sets: Int
        /// An input base chain of an IP family drops by policy or ends in an unconditional drop/reject.
        public var inputDefaultDeny: Bool
        public var forwardDefaultDeny: Bool
        public var outputDefaultDeny: Bool
        /// No output base chain has a drop/reject rule or a drop policy: every outbound flow leaves.
        public var outputWideOpen: Bool
    }

    public struct TableFacts: Encodable, Sendable, Equatable {
        public var family: String
        public var name: String
        /// `nftables`, `iptables-nft` or `iptables-legacy` (x_tables, read with
        /// `IPT_SO_GET_ENTRIES`; its chains and rules appear in `hooks` and
        /// `rules` with `legacy: true`, handles being 1-based rule positions).
        public var managedBy: String
        public var dormant: Bool
        public var owner: Bool
        public var chains: Int
        public var rules: Int
        public var sets: Int
    }

    public struct BaseChainFacts: Encodable, Sendable, Equatable {
        public var family: String
        public var table: String
        public var chain: String
        public var type: String?
        public var priority: Int32
        public var policy: String?
        public var rules: Int
        public var devices: [String]
        /// Its last rule drops or rejects everything (no match before the verdict).
        public var endsWithCatchAllDeny: Bool
        /// A built-in chain of a legacy x_tables table, at the kernel's priority for it.
        public var legacy: Bool = false
    }

    public struct RuleFacts: Encodable, Sendable, Equatable {
        public var family: String
        public var table: String
        public var chain: String
        public var handle: UInt64
        /// 0-based index in its chain.
        public var index: Int
        public var comment: String?
        /// The rule as `nft list ruleset` prints it.
        public var text: String?
        /// The rule as `iptables-save` prints it, for iptables-nft tables.
        public var iptables: String?
        /// The rule's final verdict statement: accept, drop, reject, jump, goto, return, queue, or null.
        public var verdict: String?
        public var target: String?
        /// Unconditional: nothing but counters/logging before the verdict.
        public var catchAll: Bool
        public var hasCounter: Bool
        public var packets: UInt64?
        public var bytes: UInt64?
        public var expressions: [String]
        public var setsReferenced: [String]
        /// x_tables matches and targets (iptables-nft and legacy), by name.
        public var xt: [String]
        /// A rule of a legacy x_tables table (`handle` = its 1-based position in the chain).
        public var legacy: Bool = false
    }

    public struct SetFacts: Encodable, Sendable, Equatable {
        public var family: String
        public var table: String
        public var name: String
        public var flags: [String]
        public var anonymous: Bool
        public var map: Bool
        public var verdictMap: Bool
        public var elements: Int
        public var timeoutMs: UInt64?
        public var referencedBy: Int
    }

    public struct SetReference: Encodable, Sendable, Equatable {
        public var family: String
        public var table: String
        public var chain: String
        public var handle: UInt64
        public var set: String
    }

    public static func unavailable(_ reason: String) -> FirewallFacts {
        FirewallFacts(
            available: false, error: reason, generation: nil, backends: nil, summary: nil, tables: [], hooks: [:],
            rules: [], sets: [], missingSetReferences: [])
    }

    /// The hooks in packet order, for stable output.
    static let hookOrder = ["ingress", "prerouting", "input", "forward", "output", "postrouting", "egress"]

    public init(
        available: Bool, error: String?, generation: UInt32?, backends: Backends?, summary: Summary?,
        tables: [TableFacts], hooks: [String: [BaseChainFacts]], rules: [RuleFacts], sets: [SetFacts],
        missingSetReferences: [SetReference]
    ) {
        self.available = available
        self.error = error
        self.generation = generation
        self.backends = backends
        self.summary = summary
        self.tables = tables
        self.hooks = hooks
        self.rules = rules
        self.sets = sets
        self.missingSetReferences = missingSetReferences
    }

    private enum CodingKeys: String, CodingKey {
        case available, error, generation, backends, summary, tables, hooks, rules, sets, missingSetReferences
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(available, forKey: .available)
        try c.encodeIfPresent(error, forKey: .error)
        try c.encodeIfPresent(generation, forKey: .generation)
        try c.encodeIfPresent(backends, forKey: .backends)
        try c.encodeIfPresent(summary, forKey: .summary)
        try c.encode(tables, forKey: .tables)
        // Every hook is present (possibly empty) so policies can test `firewall.hooks.input` directly.
        var h = c.nestedContainer(keyedBy: AnyKey.self, forKey: .hooks)
        for name in Self.hookOrder { try h.encode(hooks[name] ?? [], forKey: AnyKey(name)) }
        for name in hooks.keys.sorted() where !Self.hookOrder.contains(name) {
            try h.encode(hooks[name] ?? [], forKey: AnyKey(name))
        }
        try c.encode(rules, forKey: .rules)
        try c.encode(sets, forKey: .sets)
        try c.encode(missingSetReferences, forKey: .missingSetReferences)
    }
}

/// A coding key from any string (for maps keyed by model values: hooks, families).
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ s: String) { stringValue = s }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { return nil }
}

extension FirewallFacts {
    /// Shapes a snapshot for policies.
    public init(snapshot: RulesetSnapshot) {
        var tables: [TableFacts] = []
        var hooks: [String: [(order: Int, facts: BaseChainFacts)]] = [:]
        var rules: [RuleFacts] = []
        var sets: [SetFacts] = []
        var missing: [SetReference] = []
        var order = 0
        var chainCount = 0
        var baseCount = 0
        var hasNative = false
        var hasXT = false

        let all: [(Table, IptablesTable?)] =
            snapshot.tables.map { ($0, nil) }
            + snapshot.legacy.filter { $0.family == .ip || $0.family == .ip6 }.map { ($0.nftEquivalent(handle: 0), $0) }
        for (table, legacyTable) in all {
            let isLegacy = legacyTable != nil
            let xt = !isLegacy && (table.holdsXTExpressions || table.isShapedLikeIptablesNFT)
            if !isLegacy { if xt { hasXT = true } else { hasNative = true } }
            let setNames = Set(table.sets.map(\.name))
            let ruleText = RuleText(table: table)
            var references: [String: Int] = [:]
            var ruleTotal = 0
            for chain in table.chains {
                chainCount += 1
                for (index, rule) in chain.rules.enumerated() {
                    var f = RuleFacts(rule: rule, index: index)
                    if let legacyTable {
                        f.legacy = true
                        f.iptables = legacyTable.ruleText(chain: chain.name, handle: rule.handle)
                    } else {
                        f.text = ruleText.nft(rule)
                        f.iptables = ruleText.iptables(rule)
                    }
                    for name in f.setsReferenced {
                        references[name, default: 0] += 1
                        if !setNames.contains(name) {
                            missing.append(
                                SetReference(
                                    family: table.family.name, table: table.name, chain: chain.name,
                                    handle: rule.handle, set: name))
                        }
                    }
                    rules.append(f)
                }
                ruleTotal += chain.rules.count
                if let base = chain.base {
                    baseCount += 1
                    let last = chain.rules.last.map { RuleFacts(rule: $0, index: chain.rules.count - 1) }
                    let facts = BaseChainFacts(
                        family: table.family.name, table: table.name, chain: chain.name, type: base.type,
                        priority: base.priority, policy: base.policy?.name, rules: chain.rules.count,
                        devices: base.devices,
                        endsWithCatchAllDeny: last.map { $0.catchAll && ($0.verdict == "drop" || $0.verdict == "reject") }
                            ?? false, legacy: isLegacy)
                    hooks[base.hook.name, default: []].append((order, facts))
                    order += 1
                }
            }
            for set in table.sets {
                sets.append(
                    SetFacts(
                        family: table.family.name, table: table.name, name: set.name, flags: set.flags.names,
                        anonymous: set.isAnonymous, map: set.isMap, verdictMap: set.isVerdictMap,
                        elements: set.elements.filter { !$0.isIntervalEnd }.count, timeoutMs: set.timeout,
                        referencedBy: references[set.name] ?? 0))
            }
            tables.append(
                TableFacts(
                    family: table.family.name, name: table.name,
                    managedBy: isLegacy ? "iptables-legacy" : xt ? "iptables-nft" : "nftables",
                    dormant: table.flags.contains(.dormant), owner: table.flags.contains(.owner),
                    chains: table.chains.count, rules: ruleTotal, sets: table.sets.count))
        }

        var sortedHooks: [String: [BaseChainFacts]] = [:]
        for (hook, list) in hooks {
            sortedHooks[hook] = list.sorted { ($0.facts.priority, $0.order) < ($1.facts.priority, $1.order) }.map(\.facts)
        }

        let legacy = snapshot.legacyTables.keys.sorted { $0.name < $1.name }.flatMap { family in
            (snapshot.legacyTables[family] ?? []).map { "\(family.name) \($0)" }
        }
        let legacyRules: Int? =
            snapshot.legacy.isEmpty && !legacy.isEmpty
            ? nil : snapshot.legacy.reduce(0) { $0 + $1.chains.reduce(0) { $0 + $1.rules.count } }
        let backends = Backends(
            nftables: hasNative, iptablesNft: hasXT, iptablesLegacy: !legacy.isEmpty, legacyTables: legacy,
            legacyRules: legacyRules, conflict: snapshot.backendsConflict, note: snapshot.backendWarnings.first)

        func denies(_ hook: String) -> Bool {
            (sortedHooks[hook] ?? []).contains { chain in
                (chain.family == "ip" || chain.family == "ip6" || chain.family == "inet")
                    && (chain.policy == "drop" || chain.endsWithCatchAllDeny)
            }
        }
        let outputChains = sortedHooks["output"] ?? []
        let outputKeys = Set(outputChains.map { "\($0.family) \($0.table) \($0.chain)" })
        let outputHasDeny =
            outputChains.contains { $0.policy == "drop" }
            || rules.contains { r in
                (r.verdict == "drop" || r.verdict == "reject") && outputKeys.contains("\(r.family) \(r.table) \(r.chain)")
            }
        let summary = Summary(
            tables: all.count, chains: chainCount, baseChains: baseCount, rules: rules.count,
            sets: sets.count, inputDefaultDeny: denies("input"), forwardDefaultDeny: denies("forward"),
            outputDefaultDeny: denies("output"), outputWideOpen: !outputHasDeny)

        self.init(
            available: true, error: nil, generation: snapshot.generation, backends: backends, summary: summary,
            tables: tables, hooks: sortedHooks, rules: rules, sets: sets, missingSetReferences: missing)
    }
}

extension FirewallFacts.RuleFacts {
    init(rule: Rule, index: Int) {
        var verdict: String?
        var target: String?
        var catchAll = true
        var hasCounter = false
        var packets: UInt64?
        var bytes: UInt64?
        var referenced: [String] = []
        var xt: [String] = []
        for e in rule.expressions {
            switch e {
            case .counter(let c):
                hasCounter = true
                packets = (packets ?? 0) + c.packets
                bytes = (bytes ?? 0) + c.bytes
            case .log: break
            case .immediate(let i):
                if let v = i.verdict {
                    switch v {
                    case .jump(let c): verdict = "jump"; target = c
                    case .goto(let c): verdict = "goto"; target = c
                    case .continue: break
                    default: verdict = v.name
                    }
                }
            case .reject: verdict = "reject"
            case .queue: verdict = "queue"
            case .lookup(let l):
                referenced.append(l.set)
                catchAll = false
                // A verdict map decides the verdict from data.
                if l.dreg?.isVerdict == true { verdict = "vmap" }
            case .dynset(let d): referenced.append(d.set)
            case .objref(let o): if let s = o.set { referenced.append(s) }
            case .match(let m):
                xt.append(m.name)
                if m.name != "comment" { catchAll = false }
            case .target(let t):
                xt.append(t.name)
                switch t.name {
                case "REJECT": verdict = "reject"
                case "": break
                default: verdict = verdict ?? t.name.lowercased()
                }
            default:
                catchAll = false
            }
        }
        self.init(
            family: rule.family.name, table: rule.table, chain: rule.chain, handle: rule.handle, index: index,
            comment: rule.comment, text: nil, iptables: nil, verdict: verdict, target: target, catchAll: catchAll, hasCounter: hasCounter,
            packets: packets, bytes: bytes, expressions: rule.expressions.map(\.name),
            setsReferenced: Array(Set(referenced)).sorted(), xt: xt)
    }
}
