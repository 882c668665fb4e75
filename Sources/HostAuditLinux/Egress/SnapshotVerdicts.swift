#if canImport(Glibc)
import Glibc
#endif
import Foundation
import HostAuditCore
import Synchronization

/// The local verdict for each probed flow, from the ruleset snapshot taken
/// before probing: the static evaluation (or, with `trace`, the kernel's own
/// trace of one real packet) of the probe going out and of its answers
/// coming back, plus the deciding rules' counter deltas from a second
/// snapshot taken once the whole batch is over.
///
/// The flow is the probe's own: source address and port from the socket,
/// output interface from the kernel's routing, and the probing process's
/// uid/gid and no mark — the socket that sent the probe is known, so owner,
/// port and mark matches need no guessing.
final class SnapshotVerdicts: LocalVerdictSource, Sendable {
    let before: RulesetSnapshot
    let trace: Bool
    private let evaluator: VerdictEvaluator
    private let local: LocalKnowledge
    /// The snapshot after the batch: read once, by whichever caller comes first.
    private let after = Mutex<(read: Bool, snapshot: RulesetSnapshot?)>((false, nil))
    private let reader: NetfilterReader

    init(before: RulesetSnapshot, trace: Bool = false, reader: NetfilterReader = NetfilterReader()) {
        self.before = before
        self.trace = trace
        self.reader = reader
        self.evaluator = VerdictEvaluator(snapshot: before)
        self.local = LocalAddresses.read()
        self.usesFib = before.tables.contains { t in
            t.chains.contains { c in c.rules.contains { r in r.expressions.contains { if case .fib = $0 { return true }; return false } } }
        }
    }

    /// Whether any nf_tables rule uses `fib` (only then is the route back to each peer looked up).
    private let usesFib: Bool

    /// Each probe's flow as the kernel saw it: the local address and port
    /// `getsockname()` gave (else the route's source and an unknown port), the
    /// route's output interface, this process's uid/gid and no mark. Then the
    /// answers' way back in (SYN-ACK, reset, ICMP error) when the flow leaves,
    /// and the counters of every deciding rule, compared between the snapshot
    /// taken before the batch and one taken after it (once for the batch).
    func evaluate(_ flows: [ProbeFlow]) -> [LocalVerdict?] {
        var routes: [String: (RouteInfo, VerdictFlow)] = [:]
        var peerRoutes: [String: LocalKnowledge.PeerRoute?] = [:]
        var out: [LocalVerdict?] = []
        for p in flows {
            guard let dst = IPAddress(p.address), let dport = UInt16(exactly: p.port) else {
                out.append(nil)
                continue
            }
            var flow = VerdictFlow(
                destination: dst, destinationPort: dport, proto: p.proto == .udp ? .udp : .tcp, uid: geteuid(),
                gid: getegid(), mark: 0)
            if let la = p.localAddress.flatMap(IPAddress.init), la.isIPv6 == dst.isIPv6 { flow.source = la }
            flow.sourcePort = p.localPort.flatMap { UInt16(exactly: $0) }
            let key = "\(p.address)|\(flow.source?.description ?? "")"
            if let cached = routes[key] {
                flow.source = cached.1.source
                flow.outputInterface = cached.1.outputInterface
                flow.outputInterfaceIndex = cached.1.outputInterfaceIndex
            } else {
                var f = flow
                f.outputInterface = nil
                let route = RouteLookup().complete(&f)
                routes[key] = (route, f)
                flow.source = f.source
                flow.outputInterface = f.outputInterface
                flow.outputInterfaceIndex = f.outputInterfaceIndex
            }
            var result: VerdictResult
            var notes: [String] = []
            if trace {
                do {
                    result = try FlowTracer().trace(flow, snapshot: before).result
                    if before.legacyHasRules {
                        // The trace sees nf_tables only: a legacy rule that drops is found statically.
                        // The static evaluation says what the legacy tables do, so the trace's own
                        // "their verdict is unknown" is replaced by that.
                        result.notes.removeAll { $0 == FlowTracer.legacyNote }
                        let st = evaluator.evaluate(flow, local: local)
                        if let d = st.decidedBy, d.isLegacy, st.verdict == .drop || st.verdict == .reject {
                            notes.append("legacy x_tables are invisible to the trace; the static evaluation finds this legacy rule deciding")
                            // What the trace itself said stays on record (e.g. no verdict seen).
                            notes.append(contentsOf: result.notes.map { "trace: \($0)" })
                            result = st
                        } else {
                            notes.append("legacy x_tables are invisible to the trace; statically they give \(st.verdict.rawValue)")
                        }
                    }
                } catch {
                    notes.append("tracing failed (\(error)); static evaluation instead")
                    result = evaluator.evaluate(flow, local: local)
                }
            } else {
                result = evaluator.evaluate(flow, local: local)
            }
            notes.append(contentsOf: result.notes)
            var v = Self.localVerdict(result, notes: notes)
            if result.verdict != .drop && result.verdict != .reject && p.proto == .tcp {
                // The route back to the peer, for reverse-path (`fib saddr`) rules on the way in.
                var replyLocal = local
                if usesFib, let src = flow.source {
                    let k = "\(dst)|\(src)"
                    if peerRoutes[k] == nil { peerRoutes[k] = .some(RouteLookup().reversePath(peer: dst, local: src)) }
                    replyLocal.peerRoute = peerRoutes[k] ?? nil
                }
                var fibNote: [String] = []
                if usesFib {
                    if let pr = replyLocal.peerRoute {
                        fibNote = [
                            pr.outputInterface.isEmpty
                                ? "fib on the way in: the kernel has no usable route back to \(pr.peer) (\(pr.type))"
                                : "fib on the way in: the kernel's route back to \(pr.peer) is \(pr.type) via \(pr.outputInterface), the interface the answer arrives on is \(flow.outputInterface ?? "unknown")"
                        ]
                    } else {
                        fibNote = ["fib on the way in: the route back to \(dst) could not be looked up"]
                    }
                }
                for kind in ReplyKind.allCases {
                    let r = evaluator.evaluateReply(flow, kind: kind, local: replyLocal)
                    v.replies.append(ReplyVerdict(kind: kind, verdict: Self.localVerdict(r, notes: r.notes + fibNote)))
                }
            }
            out.append(v)
        }
        // Counters: what each deciding rule counted while the batch ran.
        var batch: [String: UInt64] = [:]
        for (p, v) in zip(flows, out) {
            guard let v, let k = Self.key(v), let n = p.packetsSent else { continue }
            batch[k, default: 0] += n
        }
        for i in out.indices {
            guard var v = out[i] else { continue }
            if let d = Self.ruleRef(v), let delta = counterDelta(d) {
                v.counterDeltaPackets = delta
                let mine = flows[i].packetsSent
                let total = Self.key(v).flatMap { batch[$0] }
                v.witnesses.append(
                    CounterWitness(
                        direction: .out, table: v.table ?? "", chain: v.chain ?? "", handle: v.handle ?? 0,
                        legacy: v.legacy, deltaPackets: delta, probePackets: mine, batchPackets: mine == nil ? nil : total,
                        strength: CounterWitness.strength(delta: delta, mine: mine, batch: mine == nil ? nil : total),
                        verdict: v.verdict, rule: v.rule))
            }
            for (j, r) in v.replies.enumerated() where r.verdict.blocks {
                guard let d = Self.ruleRef(r.verdict), let delta = counterDelta(d) else { continue }
                v.replies[j].verdict.counterDeltaPackets = delta
                let rv = r.verdict
                let w = CounterWitness(
                    direction: .reply, table: rv.table ?? "", chain: rv.chain ?? "", handle: rv.handle ?? 0,
                    legacy: rv.legacy, deltaPackets: delta, probePackets: nil, batchPackets: nil,
                    strength: CounterWitness.strength(delta: delta, mine: nil, batch: nil), verdict: rv.verdict,
                    rule: rv.rule)
                if !v.witnesses.contains(w) { v.witnesses.append(w) }
            }
            out[i] = v
        }
        return out
    }

    static func localVerdict(_ result: VerdictResult, notes: [String]) -> LocalVerdict {
        LocalVerdict(
            verdict: result.verdict, hook: result.path.last?.hook.name, decidedBy: result.decidedBy,
            traced: result.traced, notes: notes)
    }

    struct RuleRef {
        var family: Family
        var table: String
        var chain: String
        var handle: UInt64
        var legacy: Bool
    }

    static func ruleRef(_ v: LocalVerdict) -> RuleRef? {
        guard let d = v.decidedBy, let h = d.handle, h <= UInt64(Int.max) else { return nil }
        switch d.family {
        case .ip, .ip6, .inet: return RuleRef(family: d.family, table: d.table, chain: d.chain, handle: h, legacy: d.isLegacy)
        default: return nil
        }
    }

    static func key(_ v: LocalVerdict) -> String? {
        guard let r = ruleRef(v) else { return nil }
        return "\(r.legacy)|\(r.family.name)|\(r.table)|\(r.chain)|\(r.handle)"
    }

    func counterDelta(_ r: RuleRef) -> UInt64? {
        r.legacy
            ? legacyCounterDelta(family: r.family, table: r.table, chain: r.chain, handle: r.handle)
            : counterDelta(family: r.family, table: r.table, chain: r.chain, handle: r.handle)
    }

    /// The snapshot after the batch, read once.
    func afterSnapshot() -> RulesetSnapshot? {
        after.withLock { state in
            if !state.read {
                state = (true, try? reader.snapshot())
            }
            return state.snapshot
        }
    }

    func legacyCounterDelta(family: Family, table: String, chain: String, handle: UInt64) -> UInt64? {
        func packets(_ s: RulesetSnapshot) -> UInt64? {
            guard let c = s.legacy.first(where: { $0.family == family && $0.name == table })?.chains.first(where: { $0.name == chain }),
                handle >= 1, Int(handle) <= c.rules.count
            else { return nil }
            return c.rules[Int(handle) - 1].packets
        }
        guard let was = packets(before), let now = afterSnapshot().flatMap(packets), now >= was else { return nil }
        return now - was
    }

    /// Packets the rule's counter gained between the two snapshots; nil when the
    /// rule has no counter or either snapshot lacks it.
    func counterDelta(family: Family, table: String, chain: String, handle: UInt64) -> UInt64? {
        guard let was = Self.packets(in: before, family, table, chain, handle) else { return nil }
        guard let now = afterSnapshot(), let is_ = Self.packets(in: now, family, table, chain, handle), is_ >= was else { return nil }
        return is_ - was
    }

    static func packets(
        in s: RulesetSnapshot, _ family: Family, _ table: String, _ chain: String, _ handle: UInt64
    ) -> UInt64? {
        guard let rule = s.table(family, table)?.chain(chain)?.rules.first(where: { $0.handle == handle }) else {
            return nil
        }
        var total: UInt64?
        for e in rule.expressions {
            if case .counter(let c) = e { total = (total ?? 0) + c.packets }
        }
        return total
    }
}
