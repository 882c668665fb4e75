/// Prints an iptables-nft table exactly as `iptables-save` does, from
/// `*table` to `COMMIT`; nil when the table cannot be expressed in iptables
/// syntax (then it is printed as nft). (Being built.)
public enum IptablesSaveRenderer {
    public static func render(table: Table, in snapshot: RulesetSnapshot) -> String? {
        nil
    }
}
