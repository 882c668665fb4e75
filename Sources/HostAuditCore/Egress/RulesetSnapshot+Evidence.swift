/// What a ruleset snapshot alone says about a probe's local path, without
/// evaluating a flow: whether anything could drop the answer on its way in,
/// and which legacy x_tables rules a verdict that does not read them misses.
extension RulesetSnapshot {
    /// `.noRules` when no nf_tables base chain at prerouting/input (or netdev
    /// ingress) holds a rule or a drop policy for this family, and no legacy
    /// PREROUTING/INPUT chain holds a rule or a non-ACCEPT policy: then
    /// nothing on this host can drop the answer. nil otherwise (the answer's
    /// path needs evaluating).
    package func replyPathWithoutRules(ipv6: Bool) -> ReplyPathEvidence? {
        let families: Set<Family> = ipv6 ? [.ip6, .inet, .netdev] : [.ip, .inet, .netdev]
        for t in tables where families.contains(t.family) {
            for c in t.chains {
                guard let base = c.base, [.prerouting, .input, .ingress].contains(base.hook) else { continue }
                if !c.rules.isEmpty || base.policy == .drop { return nil }
            }
        }
        for t in legacy where t.family == (ipv6 ? .ip6 : .ip) {
            for c in t.chains where c.name == "PREROUTING" || c.name == "INPUT" {
                if !c.rules.isEmpty || (c.policy != nil && c.policy != "ACCEPT") { return nil }
            }
        }
        return .noRules
    }

    /// The legacy x_tables chains on the probe's way out (OUTPUT, POSTROUTING)
    /// and the answer's way in (PREROUTING, INPUT) that hold rules or a
    /// non-ACCEPT policy: a verdict that does not evaluate legacy tables
    /// cannot see them. Since the static evaluator reads legacy tables, only
    /// `--trace` (which sees nf_tables alone) reports them, for `chains`.
    package func legacyBlindSpots(
        ipv6: Bool, chains: Set<String> = ["OUTPUT", "POSTROUTING", "INPUT", "PREROUTING"]
    ) -> [LocalBlindSpot] {
        let family: Family = ipv6 ? .ip6 : .ip
        let tool = ipv6 ? "ip6tables-legacy" : "iptables-legacy"
        var spots: [LocalBlindSpot] = []
        for t in legacy where t.family == family {
            for c in t.chains where chains.contains(c.name) {
                let policyBlocks = c.policy != nil && c.policy != "ACCEPT"
                guard !c.rules.isEmpty || policyBlocks else { continue }
                let blocking = c.rules.first { Self.legacyRuleMayBlock($0, in: t) }
                let mayBlock = policyBlocks || blocking != nil
                var detail = "the legacy table \(t.name) (\(tool)) has \(c.rules.count) rule\(c.rules.count == 1 ? "" : "s") in \(c.name)"
                if let blocking {
                    let text = IptablesSaveFormat.rule(blocking, chain: c.name, family: family, strict: false) ?? "-A \(c.name) …"
                    detail += ", among them a \(Self.targetWord(blocking)): '\(text)'"
                }
                if policyBlocks { detail += ", policy \(c.policy ?? "?")" }
                let direction = c.name == "OUTPUT" || c.name == "POSTROUTING" ? "the probe's packets" : "the answer"
                spots.append(
                    LocalBlindSpot(
                        kind: .legacyTables, detail: detail, mayBlock: mayBlock,
                        tellApart: "--trace cannot see legacy tables: run without --trace (the static evaluation reads them), or check whether the legacy table \(t.name) \(c.name) rules match \(direction) (\(tool)-save -t \(t.name) -c: a rising counter is the drop)"))
            }
        }
        return spots
    }

    static func targetWord(_ r: IptablesRule) -> String {
        switch r.target {
        case .drop: return "DROP"
        case .extension(let x): return x.name
        case .jump(let c), .goto(let c): return "jump to \(c)"
        default: return "rule"
        }
    }

    /// A DROP or REJECT target, or a jump into a user chain (which may drop).
    static func legacyRuleMayBlock(_ r: IptablesRule, in t: IptablesTable) -> Bool {
        switch r.target {
        case .drop: return true
        case .extension(let x): return x.name == "REJECT"
        case .jump(let name), .goto(let name):
            guard let c = t.chains.first(where: { $0.name == name }) else { return true }
            return c.rules.contains { r in
                if case .jump = r.target { return true }
                if case .goto = r.target { return true }
                return legacyRuleMayBlock(r, in: t)
            }
        default: return false
        }
    }
}
