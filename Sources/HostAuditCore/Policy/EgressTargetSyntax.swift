/// Targets in policy files (`reachable:`, `blocked:`, parameters and egress
/// fixtures) use the same grammar as `hostaudit egress TARGET…`:
/// `EgressTargetParser`, plus the policy-only word `package-sources`. A target
/// the loader accepts is therefore always one the prober can run; before there
/// was one grammar, a target only the loader accepted was dropped at probe time.
enum EgressTargetSyntax {
    static func parse(_ s: String) -> PolicyEgressTarget? {
        try? check(s)
    }

    /// The target, or the parser's reason it is not one.
    static func check(_ s: String) throws(TargetError) -> PolicyEgressTarget {
        if s == "package-sources" { return .packageSources }
        _ = try EgressTargetParser.parse(s)
        return .endpoint(s)
    }

    static func isAddress(_ s: String) -> Bool {
        IPAddress(s) != nil
    }
}
