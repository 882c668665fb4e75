// `notrack`: the packet is not tracked by conntrack.
//
// - Decode: no attributes.
// - nft text / JSON: `notrack` / `{"notrack": null}` (`NFTStmt.notrack`).
// - Verdict: marks the packet untracked (`ct state untracked` then matches).

extension NFTDecompiler {
    func stepNotrack(_ st: inout RuleState) {
        st.append(.notrack)
    }
}
