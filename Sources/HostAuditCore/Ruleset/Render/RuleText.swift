/// One rule as text, for places that name a rule rather than print a table:
/// `facts firewall`, the verdict's deciding rule, the egress explanation.
///
/// Build one per table and reuse it: the decompiler indexes the table's sets once.
package struct RuleText: Sendable {
    package let table: Table
    private let decompiler: NFTDecompiler
    private let printer: NFTTextPrinter
    /// Whether the table is written in iptables syntax by `firewall show`.
    let isIptables: Bool

    /// `stateless` leaves counter values out, as `nft -s` does (`counter drop`):
    /// a rule's name should not change with traffic.
    package init(
        table: Table, interfaceNames: [UInt32: String] = NFTTextRenderer.interfaceNames, stateless: Bool = true
    ) {
        self.table = table
        self.decompiler = NFTDecompiler(table: table)
        var printer = NFTTextPrinter(interfaces: interfaceNames)
        printer.stateless = stateless
        self.printer = printer
        self.isIptables = table.holdsXTExpressions || table.isShapedLikeIptablesNFT
    }

    /// The rule as `nft list ruleset` prints it (`nft -s` when stateless), without
    /// indentation: `tcp dport 80 counter drop`.
    package func nft(_ rule: Rule) -> String {
        var s = ""
        printer.rule(decompiler.decompile(rule), into: &s)
        return s
    }

    /// The rule as `iptables-save` prints it (`-A OUTPUT -p tcp -m tcp --dport 80 -j DROP`),
    /// or nil when the table is not an iptables one or the rule has no iptables form.
    package func iptables(_ rule: Rule) -> String? {
        guard isIptables, let r = IptablesRule(nft: rule, family: table.family) else { return nil }
        return IptablesSaveFormat.rule(r, chain: rule.chain, family: table.family)
    }

    /// The text a person would recognise: iptables syntax for iptables tables, nft otherwise.
    package func preferred(_ rule: Rule) -> String {
        iptables(rule) ?? nft(rule)
    }
}
