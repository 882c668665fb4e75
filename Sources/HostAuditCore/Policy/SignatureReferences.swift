/// The YARA rule names a policy refers to: matchers on `rule` inside a
/// quantifier over `…signatures.matches`. `policy lint` checks each against
/// the rules of the loaded signature files, so a typo cannot silently never match.
package enum SignatureReferences {
    package struct Reference: Sendable, Equatable {
        package var name: String
        package var policy: String
        package var rule: String
        package var location: SourceLocation
    }

    package static func names(in policy: Policy) -> [Reference] {
        var out: [Reference] = []
        for rule in policy.rules {
            var checks: [PolicyCheck] = []
            if let w = rule.when { checks.append(w) }
            if case .facts(let c) = rule.check { checks.append(c) }
            for c in checks { walk(c, inMatches: false, policy: policy, rule: rule.id, into: &out) }
        }
        return out
    }

    static func walk(_ check: PolicyCheck, inMatches: Bool, policy: Policy, rule: String, into out: inout [Reference]) {
        switch check {
        case .all(let cs, _), .any(let cs, _):
            for c in cs { walk(c, inMatches: inMatches, policy: policy, rule: rule, into: &out) }
        case .not(let c, _):
            walk(c, inMatches: inMatches, policy: policy, rule: rule, into: &out)
        case .quantified(let q, _):
            let matches = q.path.text == "signatures.matches" || q.path.text.hasSuffix(".signatures.matches")
            if let c = q.condition { walk(c, inMatches: matches, policy: policy, rule: rule, into: &out) }
        case .match(let subject, let matcher, let loc):
            guard inMatches, case .fact(let path?) = subject, path.text == "rule" else { return }
            guard matcher.kind == .equals || matcher.kind == .in || matcher.kind == .notEquals else { return }
            var values: [JSONValue] = []
            switch matcher.operand {
            case .literal(.array(let items)): values = items
            case .literal(let v): values = [v]
            case .list(let name): values = policy.lists[name]?.values ?? []
            case .parameter: return
            }
            for case .string(let s) in values {
                out.append(Reference(name: s, policy: policy.name, rule: rule, location: loc))
            }
        }
    }
}
