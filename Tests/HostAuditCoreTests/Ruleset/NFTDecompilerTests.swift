import HostAuditCore
import Testing

/// The decompiler on hand-built expression lists (no kernel needed).
@Suite("Decompiler: nf_tables expressions to nft statements")
struct NFTDecompilerTests {
    static let r1 = Register(1)

    func text(_ exprs: [Expression], family: Family = .inet, sets: [NFTSet] = [], chains: [Chain] = []) -> String {
        var chain = Chain(family: family, table: "t", name: "c", handle: 1)
        chain.rules = [Rule(family: family, table: "t", chain: "c", handle: 2, expressions: exprs)]
        let table = Table(family: family, name: "t", handle: 1, chains: chains + [chain], sets: sets)
        let out = NFTTextRenderer.render(table: table, in: RulesetSnapshot(generation: 1, tables: [table]))
        let lines = out.split(separator: "\n")
        return String(lines[lines.count - 3].dropFirst(2))
    }

    func l4(_ p: UInt8) -> [Expression] {
        [.meta(.init(key: 16, dreg: Self.r1)), .cmp(.init(sreg: Self.r1, op: .eq, data: [p]))]
    }
    func load(_ base: UInt32, _ off: UInt32, _ len: UInt32, _ reg: Register = Self.r1) -> Expression {
        .payload(.init(base: base, offset: off, length: len, dreg: reg))
    }
    func cmp(_ data: [UInt8], _ op: Expression.CmpOp = .eq, _ reg: Register = Self.r1) -> Expression {
        .cmp(.init(sreg: reg, op: op, data: data))
    }
    let accept = Expression.immediate(.init(dreg: .verdict, verdict: .accept))

    @Test func transportMatchDropsItsDependency() {
        #expect(text(l4(6) + [load(2, 2, 2), cmp([0, 22]), accept]) == "tcp dport 22 accept")
        #expect(text(l4(6) + [accept]) == "meta l4proto tcp accept")
        #expect(text([load(2, 2, 2), cmp([0, 53]), accept]) == "th dport 53 accept")
    }

    @Test func ipProtocolDependencyInIPTableOnly() {
        let exprs = [load(1, 9, 1), cmp([17]), load(2, 0, 2), cmp([0, 53]), accept]
        #expect(text(exprs, family: .ip) == "udp sport 53 accept")
    }

    @Test func prefixesFromShortLoadsAndMasks() {
        #expect(text([load(1, 16, 3), cmp([10, 0, 0]), accept], family: .ip) == "ip daddr 10.0.0.0/24 accept")
        let masked: [Expression] = [
            load(1, 12, 4),
            .bitwise(.init(sreg: Self.r1, dreg: Self.r1, length: 4, mask: [255, 255, 240, 0], xor: [0, 0, 0, 0])),
            cmp([172, 16, 0, 0]), accept,
        ]
        #expect(text(masked, family: .ip) == "ip saddr 172.16.0.0/20 accept")
    }

    @Test func rangesAndNegatedRanges() {
        let r = [load(2, 2, 2), cmp([0x03, 0xe8], .gte), cmp([0x07, 0xd0], .lte), accept]
        #expect(text(l4(17) + r) == "udp dport 1000-2000 accept")
        let n: [Expression] = [load(2, 2, 2), .range(.init(sreg: Self.r1, op: 1, from: [0, 1], to: [0, 9])), accept]
        #expect(text(l4(6) + n) == "tcp dport != 1-9 accept")
    }

    @Test func ctStateBitmaskAndFlagsUnderMask() {
        let ct: [Expression] = [
            .ct(.init(key: 0, dreg: Self.r1)),
            .bitwise(.init(sreg: Self.r1, dreg: Self.r1, length: 4, mask: [6, 0, 0, 0], xor: [0, 0, 0, 0])),
            cmp([0, 0, 0, 0], .neq), accept,
        ]
        #expect(text(ct) == "ct state established,related accept")
        let flags: [Expression] = [
            load(2, 13, 1), .bitwise(.init(sreg: Self.r1, dreg: Self.r1, length: 1, mask: [0x17], xor: [0])),
            cmp([0x02]), .immediate(.init(dreg: .verdict, verdict: .drop)),
        ]
        #expect(text(l4(6) + flags) == "tcp flags syn / fin,syn,rst,ack drop")
    }

    @Test func interfaceNamesAndWildcards() {
        let eth0 = Array("eth0".utf8) + [UInt8](repeating: 0, count: 12)
        #expect(text([.meta(.init(key: 7, dreg: Self.r1)), cmp(eth0), accept]) == "oifname \"eth0\" accept")
        #expect(text([.meta(.init(key: 6, dreg: Self.r1)), cmp(Array("eth".utf8)), accept]) == "iifname \"eth*\" accept")
    }

    @Test func concatenationLookupWith32BitRegisters() {
        let set = NFTSet(family: .inet, table: "t", name: "pairs", handle: 3, keyType: 7 << 6 | 13, keyLength: 8)
        let exprs: [Expression] = l4(6) + [
            load(1, 12, 4), load(2, 2, 2, Register(9)),
            .lookup(.init(set: "pairs", sreg: Self.r1)), accept,
        ]
        let ip: [Expression] = [.meta(.init(key: 15, dreg: Self.r1)), cmp([2])]
        #expect(text(ip + exprs, sets: [set]) == "ip saddr . tcp dport @pairs accept")
    }

    @Test func anonymousVerdictMapSortedByKey() {
        let vm = NFTSet(
            family: .inet, table: "t", name: "__map0", handle: 4, flags: [.anonymous, .constant, .map], keyType: 13,
            keyLength: 2, dataType: NFTSet.verdictDataType,
            elements: [
                SetElement(key: [0, 80], verdict: .jump("sub")), SetElement(key: [0, 22], verdict: .accept),
            ])
        let exprs: [Expression] = l4(6) + [load(2, 2, 2), .lookup(.init(set: "__map0", sreg: Self.r1, dreg: .verdict))]
        #expect(text(exprs, sets: [vm]) == "tcp dport vmap { 22 : accept, 80 : jump sub }")
    }

    @Test func statementsWithoutKernelSupportHere() {
        let q: [Expression] = [.queue(.init(number: 3, total: 1, flags: 1))]
        #expect(text(q) == "queue flags bypass to 3")
        let flow: [Expression] = [.flowOffload(.init(table: "ft"))]
        #expect(text(flow) == "flow add @ft")
    }

    @Test func natWithAddressAndPort() {
        let exprs: [Expression] = l4(6) + [
            .immediate(.init(dreg: Self.r1, data: [10, 0, 0, 2])), .immediate(.init(dreg: Register(2), data: [0, 80])),
            .nat(.init(type: 1, family: .ip, addressMin: Self.r1, protoMin: Register(2), flags: 3)),
        ]
        #expect(text(exprs, family: .ip) == "meta l4proto tcp dnat to 10.0.0.2:80")
    }

    @Test func metaMarkSetWithBitwise() {
        let exprs: [Expression] = [
            .meta(.init(key: 3, dreg: Self.r1)),
            .bitwise(.init(sreg: Self.r1, dreg: Self.r1, length: 4, mask: [0xef, 0xff, 0xff, 0xff], xor: [0x10, 0, 0, 0])),
            .meta(.init(key: 3, sreg: Self.r1)),
        ]
        #expect(text(exprs) == "meta mark set meta mark | 0x00000010")
    }

    @Test func mergedLoadsAreSplitPerField() {
        let exprs = l4(1) + [load(2, 0, 2), cmp([8, 0]), accept]
        #expect(text(exprs, family: .ip) == "icmp type echo-request icmp code net-unreachable accept")
    }

    @Test func priorities() {
        #expect(NFTTextRendererProbe.priority(0, .inet, .input) == "filter")
        #expect(NFTTextRendererProbe.priority(10, .inet, .input) == "filter + 10")
        #expect(NFTTextRendererProbe.priority(-100, .ip, .prerouting) == "dstnat")
        #expect(NFTTextRendererProbe.priority(-100, .ip, .output) == "-100")
        #expect(NFTTextRendererProbe.priority(-200, .bridge, .forward) == "filter")
        #expect(NFTTextRendererProbe.priority(42, .ip, .input) == "security - 8")
        #expect(NFTTextRendererProbe.priority(200, .ip, .input) == "200")
    }
}

/// Chain priorities through the renderer's public output.
enum NFTTextRendererProbe {
    static func priority(_ p: Int32, _ family: Family, _ hook: Hook) -> String {
        let chain = Chain(
            family: family, table: "t", name: "c", handle: 1,
            base: BaseChain(hook: hook, priority: p, policy: .accept, type: "filter"))
        let t = Table(family: family, name: "t", handle: 1, chains: [chain])
        let out = NFTTextRenderer.render(table: t, in: RulesetSnapshot(generation: 1, tables: [t]))
        let line = out.split(separator: "\n")[2]
        guard let r = line.firstRange(of: " priority ") else { return "" }
        return String(line[r.upperBound...].prefix { $0 != ";" })
    }
}
