import Foundation
import HostAuditTestSupport
import Testing

/// Path location on a client → r1 → r2 → r3 → server lab (IPv4 and IPv6):
/// a drop and a reject at each router and at the server's own firewall,
/// then the same with r2 never answering time-exceeded, then with r2
/// rate-limiting ICMP. `blocked_at` must name the right hop or say it cannot
/// (confidence unknown, or no `blocked_at`); a hop is never named past the block.
@Suite(.privileged) struct PathLocationScenarios {
    let tally = ScenarioTally.shared

    /// Port → (the last hop the flow reaches, where) for the built truth.
    /// Drops: 7101-7104 at r1, r2, r3, the server. Rejects: 7111-7114.
    static let truth: [Int: (hop: Int, place: String)] = [
        7101: (1, "gateway"), 7102: (2, "network"), 7103: (3, "destination"), 7104: (3, "destination"),
        7111: (1, "gateway"), 7112: (2, "network"), 7113: (3, "destination"), 7114: (4, "destination"),
    ]

    func buildBlocks(_ lab: PathLab) throws {
        for n in 1...3 {
            try lab.routerRules(n, [
                "tcp dport \(7100 + n) drop",
                "tcp dport \(7110 + n) reject with icmpx type admin-prohibited",
            ])
        }
        try lab.serverRules(["tcp dport 7104 drop", "tcp dport 7114 reject with icmpx type admin-prohibited"])
    }

    func targets() -> [String] {
        let ports = [443] + Self.truth.keys.sorted()
        return ports.map { "\(PathLab.serverV4):\($0)" } + ports.map { "[\(PathLab.serverV6)]:\($0)" }
    }

    /// Grades one probe's `blocked_at` against the truth; returns the outcome.
    @discardableResult
    func grade(_ name: String, _ p: [String: Any]?, port: Int, v6: Bool, allowUnknown: Bool) -> ScenarioOutcome {
        guard let p, let truth = Self.truth[port] else {
            Issue.record("\(name): no probe")
            return tally.record(name, .wrong, "no probe")
        }
        let b = p["blocked_at"] as? [String: Any]
        let hop = b?["hop"] as? Int
        let confidence = b?["confidence"] as? String ?? "none"
        let place = b?["where"] as? String
        let address = b?["address"] as? String
        let routers = v6 ? PathLab.routerV6 : PathLab.routerV4
        let expectedAddress = truth.hop <= 3 ? routers[truth.hop - 1] : (v6 ? PathLab.serverV6 : PathLab.serverV4)
        let detail = "blocked_at \(b.map { "\($0)" } ?? "null"): \(p["explanation"] as? String ?? "")"
        let outcome: ScenarioOutcome
        if confidence == "proven" || confidence == "likely" {
            outcome = hop == truth.hop && place == truth.place && address == expectedAddress ? .right : .wrong
        } else if let hop, hop > truth.hop {
            outcome = .wrong  // a hop past the block is never evidence
        } else {
            outcome = .unknown
        }
        #expect(outcome != .wrong, "\(name): \(detail)")
        if !allowUnknown { #expect(outcome == .right, "\(name): \(detail)") }
        return tally.record(name, outcome, detail)
    }

    func probe(_ probes: [[String: Any]], _ address: String, _ port: Int) -> [String: Any]? {
        probes.first { $0["address"] as? String == address && $0["port"] as? Int == port }
    }

    @Test func locatesBlocksOnAThreeRouterPath() throws {
        try PathLab.with { lab in
            try buildBlocks(lab)

            // Every router answers: each block is named, IPv4 and IPv6.
            let probes = try lab.egress(targets())
            for v6 in [false, true] {
                let a = v6 ? PathLab.serverV6 : PathLab.serverV4
                #expect(probe(probes, a, 443)?["state"] as? String == "open")
                #expect((probe(probes, a, 443)?["hops"] as? [Any])?.isEmpty == true)
                for port in Self.truth.keys.sorted() {
                    let p = probe(probes, a, port)
                    grade("path: \(a):\(port) all routers answer", p, port: port, v6: v6, allowUnknown: false)
                    let hops = p?["hops"] as? [[String: Any]] ?? []
                    #expect(hops.count >= 3, "\(a):\(port): \(hops)")
                    #expect(hops.first?["address"] as? String == (v6 ? PathLab.routerV6[0] : PathLab.routerV4[0]))
                }
            }
            // The text names the hop in words.
            let text = try lab.egressText(["\(PathLab.serverV4):443", "\(PathLab.serverV4):7102"])
            #expect(text.contains("dropped after hop 2 (10.67.2.2) and before hop 3 (10.67.3.2)"), "\(text)")
            #expect(text.contains("hops: 1 10.67.1.1"), "\(text)")
            // Rejects: the last router and the destination's own firewall are told apart by the reject's sender.
            let rejects = try lab.egressText(["\(PathLab.serverV4):443", "\(PathLab.serverV4):7113", "\(PathLab.serverV4):7114"])
            #expect(rejects.contains("where: rejected at the last router before the destination (hop 3, 10.67.3.2)"), "\(rejects)")
            #expect(rejects.contains("where: rejected by the destination itself (hop 4, 10.67.4.2)"), "\(rejects)")
            // --no-locate skips it.
            let skipped = try lab.egress(["\(PathLab.serverV4):443", "\(PathLab.serverV4):7102", "--no-locate"])
            #expect(probe(skipped, PathLab.serverV4, 7102)?["blocked_at"] is NSNull)

            // r2 never sends time-exceeded: blocks around it are unknown, never wrong.
            try lab.routerOutput(2, ["icmp type time-exceeded drop", "icmpv6 type time-exceeded drop"])
            let silent = try lab.egress(targets())
            for v6 in [false, true] {
                let a = v6 ? PathLab.serverV6 : PathLab.serverV4
                for port in Self.truth.keys.sorted() {
                    let o = grade("path: \(a):\(port) r2 silent", probe(silent, a, port), port: port, v6: v6, allowUnknown: true)
                    // Past r2 the path answers again: the blocks at r3 and the server are still named.
                    if [7103, 7104, 7113, 7114].contains(port) { #expect(o == .right, "\(a):\(port) r2 silent") }
                }
            }

            // r2 rate-limits ICMP: right or honestly unknown.
            lab.reset()
            try buildBlocks(lab)
            try lab.rateLimit(2)
            let limited = try lab.egress(targets())
            for v6 in [false, true] {
                let a = v6 ? PathLab.serverV6 : PathLab.serverV4
                for port in Self.truth.keys.sorted() {
                    grade("path: \(a):\(port) r2 rate-limits", probe(limited, a, port), port: port, v6: v6, allowUnknown: true)
                }
            }

            // A local drop: no hop answers; nothing is located.
            lab.reset()
            try lab.clientRules(["tcp dport 7120 drop"])
            let local = try lab.egress(["\(PathLab.serverV4):443", "\(PathLab.serverV4):7120"])
            let p = probe(local, PathLab.serverV4, 7120)
            #expect(p?["cause"] as? String == "local-firewall", "\(p ?? [:])")
            #expect(p?["blocked_at"] is NSNull, "\(p ?? [:])")
        }
    }

    /// The seed lab (client → provider router → server): the provider's drop
    /// of port 80 is located right after the gateway, in the text output.
    @Test func seedLabPort80IsLocatedAfterTheGateway() throws {
        try EgressLab.with { lab in
            try lab.listen([443])
            let r = try lab.hostaudit(["egress", "10.66.2.2:80", "10.66.2.2:443", "--timeout", "1.5", "--format", "text"])
            print(r.stdout)
            #expect(
                r.stdout.contains(
                    "dropped after hop 1 (10.66.1.1) and before the destination; the same path carries port 443 to the destination: your gateway"),
                "\(r.stdout)")
            #expect(r.stdout.contains("hops: 1 10.66.1.1"), "\(r.stdout)")
            #expect(
                r.stdout.contains("where: dropped at the provider's router, after your gateway (hop 1, 10.66.1.1"),
                "\(r.stdout)")
        }
    }
}
