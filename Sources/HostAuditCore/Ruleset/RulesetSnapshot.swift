/// The complete firewall state of one network namespace, read at one
/// nf_tables generation.
///
/// Tables hold their chains, sets, named objects and flowtables; chains hold
/// their rules in kernel order. Legacy x_tables are listed by name only (their
/// rules are not readable over netlink).
public struct RulesetSnapshot: Sendable, Equatable {
    /// The nf_tables generation id every part of this snapshot was read at.
    public var generation: UInt32
    public var tables: [Table]
    /// Loaded legacy (x_tables) table names per family, from
    /// `/proc/net/ip_tables_names` and `/proc/net/ip6_tables_names`.
    /// A family whose file could not be read is absent.
    public var legacyTables: [Family: [String]]
    /// How many dump attempts it took to get a consistent snapshot (1 = first try).
    public var attempts: Int
    /// The legacy tables' rules, read with `IPT_SO_GET_ENTRIES` / `IP6T_SO_GET_ENTRIES`
    /// (iptables-legacy; invisible to nf_tables), IPv4 first, each family in
    /// `legacyTables` order.
    public var legacy: [IptablesTable]

    public init(
        generation: UInt32, tables: [Table] = [], legacyTables: [Family: [String]] = [:], attempts: Int = 1,
        legacy: [IptablesTable] = []
    ) {
        self.generation = generation
        self.tables = tables
        self.legacyTables = legacyTables
        self.attempts = attempts
        self.legacy = legacy
    }

    public func table(_ family: Family, _ name: String) -> Table? {
        tables.first { $0.family == family && $0.name == name }
    }

    public var allChains: [Chain] { tables.flatMap(\.chains) }
    public var allRules: [Rule] { tables.flatMap { $0.chains.flatMap(\.rules) } }
    public var allSets: [NFTSet] { tables.flatMap(\.sets) }

    /// True when legacy x_tables are loaded (whether or not nf_tables rules exist too).
    public var hasLegacyTables: Bool { legacyTables.values.contains { !$0.isEmpty } }

    /// Legacy x_tables that do something: a rule, or a built-in chain whose
    /// policy is not ACCEPT.
    public var legacyHasRules: Bool {
        legacy.contains { t in t.chains.contains { !$0.rules.isEmpty || ($0.policy != nil && $0.policy != "ACCEPT") } }
    }

    /// nf_tables that do something: a rule, or a base chain that drops by policy.
    public var nftHasRules: Bool {
        tables.contains { t in t.chains.contains { !$0.rules.isEmpty || $0.base?.policy == .drop } }
    }

    /// Both backends filter packets at once: legacy x_tables and nf_tables rules
    /// are loaded side by side, and a packet must pass both. A classic reason a
    /// rule "does nothing" (it was added to the backend that is not the one
    /// dropping the packet).
    public var backendsConflict: Bool { legacyHasRules && nftHasRules }

    /// Human-readable warnings about the snapshot as a whole.
    public var warnings: [String] { backendWarnings + renderingWarnings }

    /// The warning about both backends filtering at once, when they do.
    public var backendWarnings: [String] {
        backendsConflict
            ? [
                "iptables-legacy (x_tables) and nf_tables rules are both loaded: packets pass both, "
                    + "and rules added with one tool are invisible to the other"
            ] : []
    }

    /// Where `firewall show` cannot print a table exactly in its own language:
    /// an iptables rule with an extension whose options hostaudit does not
    /// decode (printed in place, the options marked undecoded), or an
    /// iptables-nft table holding a rule iptables cannot express (the whole
    /// table is then printed in nft syntax). Each names the table, chain, rule
    /// and extension, so no table changes language or loses text silently.
    public var renderingWarnings: [String] {
        var out: [String] = []
        for table in tables where table.holdsXTExpressions || table.isShapedLikeIptablesNFT {
            let where_ = "table \(table.family.name) \(table.name)"
            // Whether the rules iptables cannot express stay in place (else the table is nft).
            let inPlace = table.holdsXTExpressions && IptablesTable(nft: table) == nil
                && IptablesSaveRenderer.lenient(table) != nil
            var ruleText: RuleText?
            for chain in table.chains {
                for rule in chain.rules {
                    guard let r = IptablesRule(nft: rule, family: table.family) else {
                        if table.holdsXTExpressions {
                            if inPlace {
                                if ruleText == nil { ruleText = RuleText(table: table, stateless: false) }
                                let text = ruleText?.nft(rule) ?? ""
                                out.append(
                                    "\(where_) chain \(chain.name) rule handle \(rule.handle) has no iptables form ("
                                        + IptablesRule.unexpressible(rule, family: table.family)
                                        + "): printed in place in nft syntax as `\(text)`")
                            } else {
                                out.append(
                                    "\(where_) chain \(chain.name) rule handle \(rule.handle) has no iptables form ("
                                        + IptablesRule.unexpressible(rule, family: table.family)
                                        + "): the table is printed in nft syntax")
                            }
                        }
                        continue
                    }
                    let missing = IptablesSaveFormat.undecodedExtensions(r, family: table.family)
                    guard !missing.isEmpty else { continue }
                    let line = IptablesSaveFormat.rule(r, chain: chain.name, family: table.family, strict: false) ?? ""
                    out.append(
                        "\(where_) chain \(chain.name) rule handle \(rule.handle): options of "
                            + missing.joined(separator: ", ") + " not decoded, printed in place as `\(line)`")
                }
            }
        }
        for t in legacy {
            for c in t.chains {
                for (i, r) in c.rules.enumerated() {
                    let missing = IptablesSaveFormat.undecodedExtensions(r, family: t.family)
                    guard !missing.isEmpty else { continue }
                    out.append(
                        "legacy table \(t.family.name) \(t.name) chain \(c.name) rule \(i + 1): options of "
                            + missing.joined(separator: ", ") + " not decoded, printed in place")
                }
            }
        }
        return out
    }
}

extension RulesetSnapshot: Encodable {
    private enum CodingKeys: String, CodingKey {
        case generation, attempts, tables, legacyTables, legacy, backendsConflict, warnings
    }
    private enum LegacyKeys: String, CodingKey { case family, name, save }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(generation, forKey: .generation)
        try c.encode(attempts, forKey: .attempts)
        try c.encode(tables, forKey: .tables)
        var legacy = c.nestedContainer(keyedBy: AnyKey.self, forKey: .legacyTables)
        for family in legacyTables.keys.sorted(by: { $0.name < $1.name }) {
            try legacy.encode(legacyTables[family] ?? [], forKey: AnyKey(family.name))
        }
        // Legacy tables: family, name and the iptables-legacy-save text.
        var list = c.nestedUnkeyedContainer(forKey: .legacy)
        for t in self.legacy {
            var o = list.nestedContainer(keyedBy: LegacyKeys.self)
            try o.encode(t.family, forKey: .family)
            try o.encode(t.name, forKey: .name)
            try o.encode(IptablesSaveRenderer.render(legacy: t), forKey: .save)
        }
        try c.encode(backendsConflict, forKey: .backendsConflict)
        try c.encode(warnings, forKey: .warnings)
    }
}
