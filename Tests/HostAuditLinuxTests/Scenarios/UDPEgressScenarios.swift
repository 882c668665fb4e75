import Foundation
import HostAuditTestSupport
import Testing

/// UDP egress on the client → r1 → r2 → r3 → server lab, IPv4 and IPv6, in
/// one run of `egress` per scenario set: a DNS server and an NTP responder
/// (open), a closed port (the server's port-unreachable), a port r2 drops
/// (located at r2), a port r2 rejects, a port the server's own firewall
/// drops (honestly open|filtered: a silent service looks the same), one it
/// rejects, and ports this host's output chain drops and rejects; then r2
/// silent and r2 rate-limiting. Each gets the right state and cause, and no
/// hop is named past the block.
@Suite(.privileged) struct UDPEgressScenarios {
    static let echoPorts = [7202, 7204, 7212]

    func probe(_ probes: [[String: Any]], _ address: String, _ port: Int) -> [String: Any]? {
        probes.first { $0["address"] as? String == address && $0["port"] as? Int == port }
    }

    @Test func udpStatesCausesAndHops() throws {
        try PathLab.with { lab in
            try lab.serveUDP(echoPorts: Self.echoPorts)
            try lab.routerRules(2, [
                "udp dport 7202 drop",
                "udp dport 7212 reject with icmpx type admin-prohibited",
            ])
            try lab.serverRules(["udp dport 7204 drop", "udp dport 7214 reject with icmpx type admin-prohibited"])
            try lab.clientRules(["udp dport 7220 drop", "udp dport 7221 reject"])

            let ports = [53, 123, 7299, 7202, 7212, 7204, 7214, 7220, 7221]
            let targets = ports.map { "udp://\(PathLab.serverV4):\($0)" } + ports.map { "[\(PathLab.serverV6)]:\($0)/udp" }
            let probes = try lab.egress(targets, timeout: 3)
            for v6 in [false, true] {
                let a = v6 ? PathLab.serverV6 : PathLab.serverV4
                let routers = v6 ? PathLab.routerV6 : PathLab.routerV4
                func check(_ port: Int, state: String, reason: String? = nil, cause: String, _ extra: (([String: Any]) -> Void)? = nil) {
                    let p = probe(probes, a, port)
                    let d = "\(a):\(port)/udp: \(p ?? [:])"
                    #expect(p?["protocol"] as? String == "udp", "\(d)")
                    #expect(p?["state"] as? String == state, "\(d)")
                    if let reason { #expect(p?["reason"] as? String == reason, "\(d)") }
                    #expect(p?["cause"] as? String == cause, "\(d)")
                    if let p { extra?(p) }
                }
                check(53, state: "open", reason: "udp-response", cause: "none") { p in
                    #expect((p["udp"] as? [String: Any])?["payload"] as? String == "dns-query")
                    #expect(p["blocked_at"] is NSNull)
                }
                check(123, state: "open", reason: "udp-response", cause: "none") { p in
                    #expect((p["udp"] as? [String: Any])?["payload"] as? String == "ntp-request")
                }
                check(7299, state: "closed", reason: "port-unreach", cause: "closed-port") { p in
                    #expect((p["icmp_error"] as? [String: Any])?["offender"] as? String == a)
                }
                // Dropped at r2: located after hop 2, before hop 3 (which the contrast port reaches).
                check(7202, state: "filtered", reason: "no-response", cause: "upstream-filter") { p in
                    let b = p["blocked_at"] as? [String: Any]
                    #expect(b?["hop"] as? Int == 2, "\(p)")
                    #expect(b?["address"] as? String == routers[1], "\(p)")
                    #expect(b?["where"] as? String == "network", "\(p)")
                    #expect(["proven", "likely"].contains(b?["confidence"] as? String ?? ""), "\(p)")
                }
                // Rejected at r2 with admin-prohibited: the router is named.
                check(7212, state: "filtered", reason: "admin-prohibited", cause: "upstream-reject") { p in
                    let b = p["blocked_at"] as? [String: Any]
                    #expect(b?["hop"] as? Int == 2, "\(p)")
                    #expect(b?["address"] as? String == routers[1], "\(p)")
                }
                // The server's own firewall rejects it: the reject's sender is the destination.
                check(7214, state: "filtered", reason: "admin-prohibited", cause: "upstream-reject") { p in
                    let b = p["blocked_at"] as? [String: Any]
                    #expect(b?["address"] as? String == a, "\(p)")
                    #expect(b?["where"] as? String == "destination", "\(p)")
                    #expect((p["explanation"] as? String)?.contains("rejected by the destination itself") == true, "\(p)")
                }
                // The server's own firewall drops it: silence at the destination is
                // no proof for UDP, so open|filtered and no confident hop.
                check(7204, state: "open|filtered", reason: "no-response", cause: "unknown") { p in
                    let b = p["blocked_at"] as? [String: Any]
                    #expect(b == nil || b?["confidence"] as? String == "unknown", "\(p)")
                    #expect((b?["hop"] as? Int ?? 0) <= 3, "\(p)")
                    let cands = (p["candidates"] as? [[String: Any]] ?? []).compactMap { $0["cause"] as? String }
                    #expect(cands.contains("upstream-filter") && cands.contains("none"), "\(p)")
                }
                // This host's output chain drops it: send() fails with EPERM.
                check(7220, state: "filtered", reason: "local-denied", cause: "local-firewall") { p in
                    #expect((p["local_verdict"] as? [String: Any])?["verdict"] as? String == "drop", "\(p)")
                    #expect(p["confidence"] as? String == "proven", "\(p)")
                    #expect((p["udp"] as? [String: Any])?["datagrams_sent"] as? Int == 1, "\(p)")
                    #expect(p["blocked_at"] is NSNull, "\(p)")
                }
            }

            // This host's output chain rejects it: a local reject, whatever the errno.
            for a in [PathLab.serverV4, PathLab.serverV6] {
                let p = probe(probes, a, 7221)
                #expect(p?["cause"] as? String == "local-firewall", "\(a):7221/udp: \(p ?? [:])")
                #expect(p?["confidence"] as? String == "proven", "\(a):7221/udp: \(p ?? [:])")
                #expect(p?["state"] as? String == "filtered", "\(a):7221/udp: \(p ?? [:])")
                #expect(p?["blocked_at"] is NSNull, "\(a):7221/udp: \(p ?? [:])")
            }

            // r2 never answers time-exceeded, then r2 rate-limits ICMP: the drop at r2
            // is located right or honestly unknown, never at another hop; the
            // server's drop is never located.
            for variant in ["r2 silent", "r2 rate-limits"] {
                if variant == "r2 silent" {
                    try lab.routerOutput(2, ["icmp type time-exceeded drop", "icmpv6 type time-exceeded drop"])
                } else {
                    try? lab.routerOutput(2, [])
                    try lab.rateLimit(2)
                }
                let again = try lab.egress(
                    [53, 7202, 7204].flatMap { ["udp://\(PathLab.serverV4):\($0)", "udp://[\(PathLab.serverV6)]:\($0)"] }, timeout: 3)
                for a in [PathLab.serverV4, PathLab.serverV6] {
                    let routers = a.contains(":") ? PathLab.routerV6 : PathLab.routerV4
                    for port in [7202, 7204] {
                        let p = probe(again, a, port)
                        let b = p?["blocked_at"] as? [String: Any]
                        let sure = ["proven", "likely"].contains(b?["confidence"] as? String ?? "")
                        if port == 7202 && sure {
                            #expect(b?["hop"] as? Int == 2 && b?["address"] as? String == routers[1], "\(variant) \(a):\(port): \(p ?? [:])")
                            #expect(p?["cause"] as? String == "upstream-filter", "\(variant) \(a):\(port): \(p ?? [:])")
                        } else {
                            #expect(!sure, "\(variant) \(a):\(port): \(p ?? [:])")
                            #expect(p?["state"] as? String == "open|filtered", "\(variant) \(a):\(port): \(p ?? [:])")
                            #expect(p?["cause"] as? String == "unknown", "\(variant) \(a):\(port): \(p ?? [:])")
                        }
                    }
                }
            }
            lab.reset()
            try lab.routerRules(2, ["udp dport 7202 drop"])
            try lab.serverRules(["udp dport 7204 drop"])

            // The text output marks UDP and says where the r2 drop sits.
            let text = try lab.egressText([
                "udp://\(PathLab.serverV4):53", "\(PathLab.serverV4):7202/udp", "\(PathLab.serverV4):7204/udp",
                "\(PathLab.serverV4):7299/udp",
            ])
            print(text)
            #expect(text.contains("the last router before the destination; the destination sends nothing back"), "\(text)")
            #expect(text.contains("\(PathLab.serverV4):7202/udp  FILTERED (no-response)"), "\(text)")
            #expect(text.contains("where: dropped at a router in the network, after your gateway (hop 2, 10.67.2.2"), "\(text)")
        }
    }
}
