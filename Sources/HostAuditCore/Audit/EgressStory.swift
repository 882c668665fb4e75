/// Links blocked egress to compromise findings: a provider that blocks a
/// port on a host with miner indicators is the likeliest story, and the
/// report says so with the evidence.
///
/// Keyed on the tags a rule declares in its policy file, not on pack or rule
/// names: a failing rule tagged `compromise` is linked to every blocked probe,
/// one tagged `miner` also carries the mining story.
package enum EgressStory {
    /// The tag of rules whose failure is a compromise indicator.
    package static let compromiseTag = "compromise"
    /// The tag of rules whose failure is a cryptocurrency-miner indicator.
    package static let minerTag = "miner"

    static func isCompromise(_ f: Finding) -> Bool {
        f.status == .fail && (f.tags.contains(compromiseTag) || f.tags.contains(minerTag))
    }

    static func isMiner(_ f: Finding) -> Bool {
        f.status == .fail && f.tags.contains(minerTag)
    }

    /// Sets `related_findings` on every probe that is not open, and extends
    /// the explanation of upstream blocks when miner indicators failed.
    package static func link(_ probes: [EgressProbeResult], findings: [Finding]) -> [EgressProbeResult] {
        let compromise = findings.filter(isCompromise).sorted { FindingKey($0) < FindingKey($1) }
        let miners = compromise.filter(isMiner)
        return probes.map { p in
            guard !p.isOpen else { return p }
            var p = p
            for f in compromise where !p.relatedFindings.contains(f.rule) { p.relatedFindings.append(f.rule) }
            // Only a stated cause (proven or likely) carries the story.
            if (p.cause == .upstreamFilter || p.cause == .upstreamReject), p.confidence != .unknown, !miners.isEmpty {
                let evidence = miners.prefix(3).map { f in "\(f.rule) (\(summary(f)))" }.joined(separator: "; ")
                p.explanation +=
                    " The block upstream is \(p.confidence.rawValue)."
                    + " This host shows cryptocurrency-miner indicators (\(evidence)): a provider blocking traffic"
                    + " because of mining is the likeliest story; remove the miner and ask the provider to lift the block."
                if let b = p.location?.blockedAt, b.confidence != .unknown, let place = b.place {
                    let whose: String
                    switch place {
                    case .gateway: whose = "at the first router (your gateway or the provider's edge)"
                    case .network: whose = "in the network between, after your gateway"
                    case .destination: whose = "at the destination's end (its last router or its own firewall), so ask its operator as well"
                    }
                    p.explanation += " The path locates the block after hop \(b.hop) (\(b.address ?? "*")), \(whose)."
                }
            }
            return p
        }
    }

    /// A short, one-line account of a finding's first evidence item.
    package static func summary(_ f: Finding) -> String {
        guard let e = f.evidence.first else { return f.title }
        var parts: [String] = []
        if let pid = e["pid"]?.intValue { parts.append("pid \(pid)") }
        for k in ["comm", "exe", "cmdline", "path", "detail"] {
            if let s = e[k]?.stringValue, !s.isEmpty {
                parts.append(s.count > 120 ? String(s.prefix(120)) + "…" : s)
                if parts.count >= 3 { break }
            }
        }
        return parts.isEmpty ? f.title : parts.joined(separator: ", ")
    }
}
