import HostAuditCore

/// The sample netfilter state the firewall-facts tests build on (the facts
/// tests and the fact-schema golden test each vary it in a few places).
package enum RulesetSamples {
    package static let drop = HostAuditCore.Expression.immediate(.init(dreg: Register(0), verdict: .drop))
    package static let accept = HostAuditCore.Expression.immediate(.init(dreg: Register(0), verdict: .accept))
    package static let counter = HostAuditCore.Expression.counter(.init(packets: 3, bytes: 180))

    package static func rule(
        _ family: Family, _ table: String, _ chain: String, _ handle: UInt64, _ e: [HostAuditCore.Expression], comment: String? = nil
    ) -> Rule {
        Rule(family: family, table: table, chain: chain, handle: handle, comment: comment, expressions: e)
    }

    /// Generation 7: an `inet filter` table (input: policy drop on
    /// `inputDevices`, one counted accept; output: priority 10, policy accept,
    /// the rules `output` from handle 4; the set `allowed`) and the `ip
    /// filter` table iptables-nft writes (OUTPUT at -5: a conntrack match with
    /// a counted accept, then a counted drop), also listed as a legacy table.
    /// Every rule carries `comment`.
    package static func snapshot(
        inputDevices: [String] = [], output: [[HostAuditCore.Expression]], allowed: NFTSet, comment: String? = nil,
        legacy: [IptablesTable] = []
    ) -> RulesetSnapshot {
        func r(_ f: Family, _ t: String, _ c: String, _ h: UInt64, _ e: [HostAuditCore.Expression]) -> Rule {
            rule(f, t, c, h, e, comment: comment)
        }
        return RulesetSnapshot(
            generation: 7,
            tables: [
                Table(
                    family: .inet, name: "filter", handle: 1,
                    chains: [
                        Chain(
                            family: .inet, table: "filter", name: "input", handle: 1,
                            base: BaseChain(hook: .input, priority: 0, policy: .drop, type: "filter", devices: inputDevices),
                            rules: [r(.inet, "filter", "input", 2, [counter, accept])]),
                        Chain(
                            family: .inet, table: "filter", name: "output", handle: 3,
                            base: BaseChain(hook: .output, priority: 10, policy: .accept, type: "filter"),
                            rules: output.enumerated().map { r(.inet, "filter", "output", 4 + UInt64($0.offset), $0.element) }),
                    ],
                    sets: [allowed]),
                Table(
                    family: .ip, name: "filter", handle: 2,
                    chains: [
                        Chain(
                            family: .ip, table: "filter", name: "OUTPUT", handle: 1,
                            base: BaseChain(hook: .output, priority: -5, policy: .accept, type: "filter"),
                            rules: [
                                r(.ip, "filter", "OUTPUT", 2, [.match(.init(name: "conntrack", revision: 3, info: [])), counter, accept]),
                                r(.ip, "filter", "OUTPUT", 3, [counter, drop]),
                            ])
                    ]),
            ],
            legacyTables: [.ip: ["filter"]],
            legacy: legacy)
    }
}
