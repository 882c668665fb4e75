import HostAuditCore
import Testing

/// The expression VM on hand-built models (no kernel needed).
@Suite struct VerdictVMTests {
    static let r1 = Register(1)  // NFT_REG_1 (slot 4)
    static let r9 = Register(9)  // NFT_REG32_01 (slot 5)

    static func table(_ rules: [[Expression]], policy: ChainPolicy = .accept, sets: [NFTSet] = [], extra: [Chain] = [])
        -> RulesetSnapshot
    {
        let chain = Chain(
            family: .inet, table: "t", name: "out", handle: 1,
            base: BaseChain(hook: .output, priority: 0, policy: policy, type: "filter"),
            rules: rules.enumerated().map { Rule(family: .inet, table: "t", chain: "out", handle: UInt64(10 + $0.offset), expressions: $0.element) })
        return RulesetSnapshot(generation: 1, tables: [Table(family: .inet, name: "t", handle: 1, chains: [chain] + extra, sets: sets)])
    }

    static let daddr: Expression = .payload(.init(base: 1, offset: 16, length: 4, dreg: r1))
    static let dport: Expression = .payload(.init(base: 2, offset: 2, length: 2, dreg: r1))
    static let sport: Expression = .payload(.init(base: 2, offset: 0, length: 2, dreg: r1))
    static func verdict(_ v: Verdict) -> Expression { .immediate(.init(dreg: .verdict, verdict: v)) }
    static func cmp(_ data: [UInt8], _ op: Expression.CmpOp = .eq) -> Expression { .cmp(.init(sreg: r1, op: op, data: data)) }

    static func flow(_ dst: String = "10.0.0.1", _ port: UInt16 = 80, sport: UInt16? = 40000) -> VerdictFlow {
        VerdictFlow(destination: IPAddress(dst)!, destinationPort: port, source: IPAddress("10.0.0.9"), sourcePort: sport, uid: 0, mark: 0)
    }

    @Test func cmpOnPortDecides() {
        let s = Self.table([[Self.dport, Self.cmp([0, 80]), Self.verdict(.drop)]])
        let r = VerdictEvaluator(snapshot: s).evaluate(Self.flow())
        #expect(r.verdict == .drop)
        #expect(r.decidedBy?.handle == 10)
        #expect(VerdictEvaluator(snapshot: s).evaluate(Self.flow("10.0.0.1", 81)).verdict == .accept)
    }

    @Test func intervalSetWithReversedHalfOpenElements() {
        // {10.0.0.0/8, 192.168.1.1} as the kernel dumps it: reversed, END flags on the exclusive ends.
        let set = NFTSet(
            family: .inet, table: "t", name: "nets", handle: 2, flags: [.interval], keyType: 7, keyLength: 4,
            elements: [
                SetElement(key: [192, 168, 1, 2], flags: 1), SetElement(key: [192, 168, 1, 1]),
                SetElement(key: [11, 0, 0, 0], flags: 1), SetElement(key: [10, 0, 0, 0]), SetElement(key: [0, 0, 0, 0], flags: 1),
            ])
        let s = Self.table([[Self.daddr, .lookup(.init(set: "nets", sreg: Self.r1)), Self.verdict(.drop)]], sets: [set])
        let e = VerdictEvaluator(snapshot: s)
        #expect(e.evaluate(Self.flow("10.255.255.255")).verdict == .drop)
        #expect(e.evaluate(Self.flow("11.0.0.0")).verdict == .accept)
        #expect(e.evaluate(Self.flow("192.168.1.1")).verdict == .drop)
        #expect(e.evaluate(Self.flow("192.168.1.2")).verdict == .accept)
        #expect(e.evaluate(Self.flow("9.9.9.9")).verdict == .accept)
    }

    @Test func concatenationUses32BitRegistersAndPadding() {
        let set = NFTSet(
            family: .inet, table: "t", name: "pairs", handle: 2, flags: [.concat], keyType: 7 << 6 | 13, keyLength: 8,
            elements: [SetElement(key: [10, 0, 0, 2, 0, 80, 0, 0])])
        let s = Self.table(
            [[Self.daddr, .payload(.init(base: 2, offset: 2, length: 2, dreg: Self.r9)), .lookup(.init(set: "pairs", sreg: Self.r1)), .reject(.init(type: 1, code: 0))]],
            sets: [set])
        let e = VerdictEvaluator(snapshot: s)
        #expect(e.evaluate(Self.flow("10.0.0.2", 80)).verdict == .reject)
        #expect(e.evaluate(Self.flow("10.0.0.2", 81)).verdict == .accept)
    }

    @Test func invertedLookupAndVerdictMapWithJump() {
        let ports = NFTSet(family: .inet, table: "t", name: "p", handle: 2, keyType: 13, keyLength: 2, elements: [SetElement(key: [0, 22])])
        let vmap = NFTSet(
            family: .inet, table: "t", name: "vm", handle: 3, flags: [.map], keyType: 13, keyLength: 2, dataType: NFTSet.verdictDataType,
            elements: [SetElement(key: [0, 80], verdict: .jump("web")), SetElement(key: [0, 81], verdict: .accept)])
        let web = Chain(family: .inet, table: "t", name: "web", handle: 5, rules: [
            Rule(family: .inet, table: "t", chain: "web", handle: 30, expressions: [Self.daddr, Self.cmp([10, 0, 0, 1]), Self.verdict(.return)]),
            Rule(family: .inet, table: "t", chain: "web", handle: 31, expressions: [Self.verdict(.drop)]),
        ])
        let s = Self.table(
            [[Self.dport, .lookup(.init(set: "vm", sreg: Self.r1, dreg: .verdict))],
             [Self.dport, .lookup(.init(set: "p", sreg: Self.r1, flags: 1)), Self.verdict(.drop)]],
            sets: [ports, vmap], extra: [web])
        let e = VerdictEvaluator(snapshot: s)
        #expect(e.evaluate(Self.flow("10.0.0.2", 80)).decidedBy?.handle == 31)
        // Returned from web: the next rule drops everything but port 22.
        #expect(e.evaluate(Self.flow("10.0.0.1", 80)).decidedBy?.handle == 11)
        #expect(e.evaluate(Self.flow("10.0.0.1", 81)).verdict == .accept)
        #expect(e.evaluate(Self.flow("10.0.0.1", 22)).verdict == .accept)
    }

    @Test func unknownSourcePortExploresBothBranches() {
        let s = Self.table([[Self.sport, Self.cmp([0x9c, 0x40], .gte), Self.verdict(.drop)]])
        let e = VerdictEvaluator(snapshot: s)
        let r = e.evaluate(Self.flow(sport: nil))
        #expect(r.verdict == .unknown)
        #expect(r.branches == 2)
        #expect(r.notes.contains { $0.contains("not known") })
        #expect(e.evaluate(Self.flow(sport: 40000)).verdict == .drop)
        // Both branches agree: the verdict stands.
        let agree = Self.table([[Self.sport, Self.cmp([0x9c, 0x40], .gte), Self.verdict(.accept)]])
        let a = VerdictEvaluator(snapshot: agree).evaluate(Self.flow(sport: nil))
        #expect(a.verdict == .accept)
        #expect(a.branches == 2)
    }

    @Test func limitIsUnknowable() {
        let s = Self.table([[.limit(.init(rate: 1, unit: 1, burst: 5, type: 0, flags: 0)), Self.verdict(.drop)]])
        #expect(VerdictEvaluator(snapshot: s).evaluate(Self.flow()).verdict == .unknown)
    }

    @Test func ctStateIsNewOnOutputAfterConntrack() {
        let ct: [Expression] = [
            .ct(.init(key: 0, dreg: Self.r1)),
            .bitwise(.init(sreg: Self.r1, dreg: Self.r1, length: 4, mask: [8, 0, 0, 0], xor: [0, 0, 0, 0])),
            .cmp(.init(sreg: Self.r1, op: .neq, data: [0, 0, 0, 0])), Self.verdict(.drop),
        ]
        #expect(VerdictEvaluator(snapshot: Self.table([ct])).evaluate(Self.flow()).verdict == .drop)
    }

    @Test func legacyTablesMakeTheAnswerUnknown() {
        var s = Self.table([])
        s.legacyTables = [.ip: ["filter"]]
        let r = VerdictEvaluator(snapshot: s).evaluate(Self.flow())
        #expect(r.verdict == .unknown)
        #expect(r.notes.contains { $0.contains("legacy") })
    }

    @Test func addressParsing() {
        #expect(IPAddress("fd77::1")?.bytes == [0xfd, 0x77] + [UInt8](repeating: 0, count: 13) + [1])
        #expect(IPAddress("::ffff:10.0.0.1")?.description == "::ffff:a00:1")
        #expect(IPAddress("1.2.3") == nil)
        #expect(IPAddress("10.0.0.256") == nil)
        #expect(IPAddress("2001:db8::1")?.description == "2001:db8::1")
    }
}
