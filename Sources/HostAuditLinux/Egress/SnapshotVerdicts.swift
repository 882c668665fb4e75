#if canImport(Glibc)
import Glibc
#endif
import Foundation
import HostAuditCore

/// The local verdict for each probed flow, from the ruleset snapshot taken
/// before probing: the static evaluation (or, with `trace`, the kernel's own
/// trace of one real packet), plus the deciding rule's counter delta from a
/// second snapshot taken once probing is over.
///
/// The flow is the probe's own: source and output interface from the kernel's
/// routing, and the probing process's uid/gid and no mark — the socket that
/// sent the probe is known, so owner and mark matches need no guessing.
public final class SnapshotVerdicts: LocalVerdictSource, @unchecked Sendable {
    public let before: RulesetSnapshot
    public let trace: Bool
    private let evaluator: VerdictEvaluator
    private let local: LocalKnowledge
    private let lock = NSLock()
    private var after: RulesetSnapshot?
    private var afterRead = false
    private let reader: NetfilterReader

    public init(before: RulesetSnapshot, trace: Bool = false, reader: NetfilterReader = NetfilterReader()) {
        self.before = before
        self.trace = trace
        self.reader = reader
        self.evaluator = VerdictEvaluator(snapshot: before)
        self.local = LocalAddresses.read()
    }

    public func verdict(address: String, port: Int, protocol proto: String) -> LocalVerdict? {
        guard let dst = IPAddress(address), let dport = UInt16(exactly: port) else { return nil }
        var flow = VerdictFlow(
            destination: dst, destinationPort: dport, proto: proto == "udp" ? .udp : .tcp, uid: geteuid(),
            gid: getegid(), mark: 0)
        let route = RouteLookup().lookup(flow)
        if route.status == .ok {
            flow.source = route.source
            flow.outputInterface = route.outputInterface
            flow.outputInterfaceIndex = route.outputInterfaceIndex
        }
        var result: VerdictResult
        var notes: [String] = []
        if trace {
            do {
                result = try FlowTracer().trace(flow, snapshot: before).result
            } catch {
                notes.append("tracing failed (\(error)); static evaluation instead")
                result = evaluator.evaluate(flow, local: local)
            }
        } else {
            result = evaluator.evaluate(flow, local: local)
        }
        notes.append(contentsOf: result.notes)
        let decided = result.decidedBy
        var v = LocalVerdict(
            verdict: result.verdict.rawValue, hook: result.path.last?.hook.name,
            table: decided.map { "\($0.family.name) \($0.table)" }, chain: decided?.chain,
            handle: decided?.handle.map { Int($0) }, rule: decided?.rule, traced: result.traced, notes: notes)
        if let d = decided, let handle = d.handle {
            v.counterDeltaPackets = counterDelta(family: d.family, table: d.table, chain: d.chain, handle: handle)
        }
        return v
    }

    /// Packets the rule's counter gained between the two snapshots; nil when the
    /// rule has no counter or either snapshot lacks it.
    func counterDelta(family: Family, table: String, chain: String, handle: UInt64) -> UInt64? {
        guard let was = Self.packets(in: before, family, table, chain, handle) else { return nil }
        lock.lock()
        if !afterRead {
            afterRead = true
            after = try? reader.snapshot()
        }
        let now = after
        lock.unlock()
        guard let now, let is_ = Self.packets(in: now, family, table, chain, handle), is_ >= was else { return nil }
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
