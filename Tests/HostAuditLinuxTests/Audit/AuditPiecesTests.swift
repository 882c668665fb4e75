import Foundation
import HostAuditCore
import HostAuditLinux
import HostAuditTestSupport
import Testing

/// The audit's building blocks: collector budgets, the egress story, atomic
/// files and the state lock, the state diff.
@Suite struct AuditPiecesTests {
    @Test func overrunningCollectorBecomesAnErrorFinding() async {
        // The processes collector samples CPU for 30 s: a 3 s budget cannot hold it, while the
        // kernel collector (a few /proc and /sys reads) finishes within it even on a loaded machine.
        let c = AuditCollection(scope: .live, processOptions: ProcessCollectionOptions(cpuInterval: 30, hiddenSweep: false), budget: 3)
        let (doc, errors) = await c.run([.processes, .kernel])
        #expect(errors.map(\.rule) == ["collector-processes"])
        #expect(errors.first?.status == .error)
        #expect(errors.first?.detail?.contains("did not finish within its 3 s budget") == true)
        let json = doc.json()
        #expect(json["processes"]?["error"]?.stringValue != nil)
        #expect(json["kernel"]?["error"] == nil)
    }

    @Test func rootScopeAnswersBlockedFlowsUnknown() async {
        let oracle = LiveEgressOracle(scope: CollectionScope(root: Fixtures.root("persist-clean")), timeout: 1)
        let v = await oracle.verdict(for: EgressFlow(dst: "192.0.2.25", dport: 25))
        #expect(v.verdict == "unknown")
        #expect(oracle.results.isEmpty)
    }

    static func probe(_ cause: EgressCause, state: PortState = .filtered, confidence: Confidence = .proven) throws -> EgressProbeResult {
        EgressProbeResult(
            target: try EgressTargetParser.parse("10.66.2.2:3333"), address: "10.66.2.2", state: state, reason: .noResponse,
            elapsedMs: 3000, synRetransmits: 2, icmpEcho: ICMPEchoResult(reachable: true, method: "icmp"), localVerdict: nil,
            cause: cause, explanation: "No answer from 10.66.2.2:3333 while the host answers ping.", evidence: nil,
            confidence: confidence)
    }

    @Test func upstreamBlockWithMinerFindingsTellsTheMiningStory() throws {
        var miner = Finding(
            rule: "miner-process", policy: "miners", title: "A cryptocurrency miner runs", severity: .critical, status: .fail,
            evidence: [.object(JSONObject([("kind", "process"), ("pid", .int(4242)), ("comm", "kworkerds"), ("detail", "stratum+tcp://10.66.2.2:3333")]))])
        miner.tags = ["compromise", "miner"]
        let other = Finding(rule: "resolver-ok", policy: "baseline", title: "x", severity: .high, status: .fail)
        let linked = EgressStory.link([try Self.probe(.upstreamFilter), try Self.probe(.none, state: .open)], findings: [miner, other])
        #expect(linked[0].relatedFindings == ["miner-process"])
        #expect(linked[0].explanation.contains("provider blocking traffic because of mining is the likeliest story"))
        #expect(linked[0].explanation.contains("pid 4242"))
        #expect(linked[1].relatedFindings.isEmpty)
        // A local-firewall block is linked, but not told as a provider block.
        let local = EgressStory.link([try Self.probe(.localFirewall)], findings: [miner])
        #expect(local[0].relatedFindings == ["miner-process"])
        #expect(!local[0].explanation.contains("provider"))
        #expect(linked[0].explanation.contains("The block upstream is proven"))
        // A cause that is not stated (confidence unknown) carries no story.
        let unsure = EgressStory.link([try Self.probe(.upstreamFilter, confidence: .unknown)], findings: [miner])
        #expect(!unsure[0].explanation.contains("provider"))
        // No miner findings: the explanation is left alone.
        #expect(EgressStory.link([try Self.probe(.upstreamFilter)], findings: [other])[0].relatedFindings.isEmpty)
    }

    @Test func atomicWriteReplacesAndLockExcludes() throws {
        let dir = try Fixtures.temporaryDirectory("ha-audit-atomic")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/f"
        try AtomicFile.write(Array("one".utf8), to: path)
        try AtomicFile.write(Array("two".utf8), to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "two")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["f"])
        #expect(throws: AtomicFileError.self) { try AtomicFile.write([1], to: dir + "/missing/f") }
        #expect(throws: AtomicFileError.self) { try AtomicFile.checkWritable(dir + "/missing/f") }

        let held = try #require(try StateLock.acquire(statePath: path, timeout: 0))
        let start = Date()
        #expect(try StateLock.acquire(statePath: path, timeout: 0.3) == nil)
        #expect(Date().timeIntervalSince(start) >= 0.25)
        withExtendedLifetime(held) {}
    }

    @Test func stateDiffAndCorruptState() throws {
        func f(_ rule: String, _ status: Finding.Status) -> Finding {
            Finding(rule: rule, policy: "p", title: rule, severity: .high, status: status)
        }
        let before = AuditState(findings: [f("a", .fail), f("b", .fail), f("c", .pass)], savedAt: Date())
        let reread = try AuditState(bytes: JSONWriter().bytes(before.json()))
        #expect(reread.failing == before.failing)
        let now = AuditState(findings: [f("a", .fail), f("b", .pass), f("c", .fail)], savedAt: Date())
        let c = reread.changes(to: now)
        #expect(c.new.map(\.rule) == ["c"])
        #expect(c.resolved.map(\.rule) == ["b"])
        #expect(throws: AuditState.Corrupt.self) { try AuditState(bytes: Array("{\"schema\":".utf8)) }
        #expect(throws: AuditState.Corrupt.self) { try AuditState(bytes: Array("{\"schema\":\"other\"}".utf8)) }
    }
}
