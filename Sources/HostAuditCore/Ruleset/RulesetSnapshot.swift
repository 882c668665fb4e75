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

    public init(generation: UInt32, tables: [Table] = [], legacyTables: [Family: [String]] = [:], attempts: Int = 1) {
        self.generation = generation
        self.tables = tables
        self.legacyTables = legacyTables
        self.attempts = attempts
    }

    public func table(_ family: Family, _ name: String) -> Table? {
        tables.first { $0.family == family && $0.name == name }
    }

    public var allChains: [Chain] { tables.flatMap(\.chains) }
    public var allRules: [Rule] { tables.flatMap { $0.chains.flatMap(\.rules) } }
    public var allSets: [NFTSet] { tables.flatMap(\.sets) }

    /// True when legacy x_tables are loaded (whether or not nf_tables rules exist too).
    public var hasLegacyTables: Bool { legacyTables.values.contains { !$0.isEmpty } }
}

extension RulesetSnapshot: Encodable {
    private enum CodingKeys: String, CodingKey { case generation, attempts, tables, legacyTables }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(generation, forKey: .generation)
        try c.encode(attempts, forKey: .attempts)
        try c.encode(tables, forKey: .tables)
        var legacy = c.nestedContainer(keyedBy: NameKey.self, forKey: .legacyTables)
        for family in legacyTables.keys.sorted(by: { $0.name < $1.name }) {
            try legacy.encode(legacyTables[family] ?? [], forKey: NameKey(family.name))
        }
    }
}

/// A coding key made from any string (for maps keyed by model values).
struct NameKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ s: String) { stringValue = s }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { return nil }
}
