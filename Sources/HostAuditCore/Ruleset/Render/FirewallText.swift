/// `hostaudit firewall show` text: each table in the language it was written in.
///
/// - native nftables tables: exactly what `nft list ruleset` prints for them;
/// - tables holding xt expressions (iptables-nft's): exactly what
///   `iptables-save`/`ip6tables-save` print (`*table` … `COMMIT`), after one
///   comment line naming family and table, since `*filter` alone does not say which;
/// - legacy x_tables: what `iptables-legacy-save` prints, under a legacy header.
public enum FirewallText {
    public static func render(_ snapshot: RulesetSnapshot, forceNFT: Bool = false) -> String {
        var out = ""
        for table in snapshot.tables {
            if !forceNFT, table.holdsXTExpressions || table.isShapedLikeIptablesNFT,
                let block = IptablesSaveRenderer.render(table: table, in: snapshot) {
                out += "# table \(table.family.name) \(table.name) (iptables-nft)\n"
                out += block
            } else {
                out += NFTTextRenderer.render(table: table, in: snapshot)
            }
        }
        if !snapshot.legacy.isEmpty {
            out += "# iptables-legacy tables (x_tables, not visible to nft)\n"
            if snapshot.backendsConflict {
                out += "# Warning: iptables-legacy and nf_tables rules are both loaded; packets pass both\n"
            }
            for t in snapshot.legacy {
                out += "# table \(t.family.name) \(t.name) (iptables-legacy)\n"
                out += IptablesSaveRenderer.render(legacy: t)
            }
        }
        return out
    }
}

extension Table {
    /// An iptables-nft table without xt expressions (only jumps, `-i`, `-p`, …):
    /// `ip`/`ip6`, an iptables table name, and only the built-in base chains
    /// iptables-nft creates (same names, hooks, types and priorities). nft
    /// users name chains in lower case, so a native table rarely looks like this.
    public var isShapedLikeIptablesNFT: Bool {
        chains.contains(where: \.isBaseChain) && IptablesTable(nft: self) != nil
    }

    /// Whether any rule holds an x_tables `match` or `target` (nft marks exactly
    /// these tables "managed by iptables-nft, do not touch!").
    public var holdsXTExpressions: Bool {
        chains.contains { chain in
            chain.rules.contains { rule in
                rule.expressions.contains {
                    switch $0 {
                    case .match, .target: return true
                    default: return false
                    }
                }
            }
        }
    }
}
