/// Prints a table exactly as `nft list ruleset` does. (Being built.)
public enum NFTTextRenderer {
    public static func render(table: Table, in snapshot: RulesetSnapshot) -> String {
        "table \(table.family.name) \(table.name) {\n}\n"
    }
}
