import HostAuditCore

extension SnapshotVerdicts {
    /// The batch entry point: asked once after probing, with every probe's
    /// flow as the kernel saw it. Per flow: the outbound verdict (nf_tables
    /// and legacy x_tables at their hooks), the SYN-ACK's verdict on its way
    /// back in (`.noRules` when nothing at prerouting/input can drop it), the
    /// deciding rules' counter witnesses from one snapshot before and one
    /// after the batch, and the blind spots.
    ///
    /// The static evaluator reads legacy tables, so they are no blind spot for
    /// it. With `--trace` the kernel's trace sees nf_tables only: the legacy
    /// OUTPUT/POSTROUTING chains are listed as blind spots (a legacy rule that
    /// drops is still found, statically, and becomes the verdict); the answer's
    /// way in is always evaluated statically, legacy included.
    func verdicts(for flows: [ProbeFlow]) -> [LocalEvidence] {
        let verdicts = evaluate(flows)
        var noRules: [Bool: ReplyPathEvidence?] = [:]
        return zip(flows, verdicts).map { flow, v in
            guard let v else { return LocalEvidence() }
            let ipv6 = flow.address.contains(":")
            var e = LocalEvidence(verdict: v)
            let blocks = v.blocks
            if !blocks {
                if noRules[ipv6] == nil { noRules[ipv6] = before.replyPathWithoutRules(ipv6: ipv6) }
                let accepted: Bool = {
                    if case .verdict(let r)? = e.reply { return r.verdict == .accept }
                    return true
                }()
                if accepted, let none = noRules[ipv6] ?? nil { e.reply = none }
            }
            if trace && !blocks {
                e.blindSpots = before.legacyBlindSpots(ipv6: ipv6, chains: ["OUTPUT", "POSTROUTING"])
            }
            return e
        }
    }
}
