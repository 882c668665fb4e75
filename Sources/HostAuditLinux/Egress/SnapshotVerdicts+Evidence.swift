import HostAuditCore

extension SnapshotVerdicts {
    /// The outbound verdict plus what the snapshot itself says: whether any
    /// rule could drop the answer on its way in, and the legacy x_tables rules
    /// that neither the static evaluator nor `--trace` reads (blind spots, so
    /// an `accept` next to them is no proof).
    ///
    /// Extension points: a reply-path verdict replaces `reply`, counter
    /// witnesses go into `witnesses`; once the evaluator evaluates legacy
    /// tables at their hooks, drop the legacy blind spots for the static
    /// verdict (keep them for `--trace`, which cannot see legacy tables).
    public func localEvidence(address: String, port: Int, protocol proto: String) -> LocalEvidence {
        let v = verdict(address: address, port: port, protocol: proto)
        let ipv6 = address.contains(":")
        return LocalEvidence(
            outbound: v, reply: before.replyPathWithoutRules(ipv6: ipv6), blindSpots: before.legacyBlindSpots(ipv6: ipv6))
    }
}
