@testable import HostAuditCore
import Testing

/// libnftables JSON value formatting and statement shapes (no kernel needed);
/// the corpus tests in HostAuditLinuxTests compare whole documents with `nft -j`.
@Suite("NFT JSON: libnftables JSON from the decompiler AST")
struct NFTJSONTests {
    static let r1 = Register(1)

    func v(_ type: NFTDatatype, _ bytes: [UInt8], bigEndian: Bool = true) -> JSONValue {
        NFTJSONFormat.value(NFTValue(type: type, bytes: bytes, bigEndian: bigEndian), interfaces: [1: "lo"])
    }

    /// The `expr` list of the single rule of a one-chain table.
    func exprs(_ e: [Expression], family: Family = .inet, sets: [NFTSet] = []) -> [JSONValue] {
        let rule = Rule(family: family, table: "t", chain: "c", handle: 7, expressions: e)
        let chain = Chain(family: family, table: "t", name: "c", handle: 1, rules: [rule])
        let table = Table(family: family, name: "t", handle: 1, chains: [chain], sets: sets)
        let doc = NFTJSONRenderer.document(RulesetSnapshot(generation: 1, tables: [table]))
        let items = doc["nftables"]?.arrayValue ?? []
        return items.last?["rule"]?["expr"]?.arrayValue ?? []
    }

    func load(_ base: UInt32, _ off: UInt32, _ len: UInt32) -> Expression {
        .payload(.init(base: base, offset: off, length: len, dreg: Self.r1))
    }
    func cmp(_ data: [UInt8], _ op: Expression.CmpOp = .eq) -> Expression {
        .cmp(.init(sreg: Self.r1, op: op, data: data))
    }
    let l4tcp: [Expression] = [.meta(.init(key: 16, dreg: Register(1))), .cmp(.init(sreg: Register(1), op: .eq, data: [6]))]
    let accept = Expression.immediate(.init(dreg: .verdict, verdict: .accept))

    @Test func numbersStayNumbersAndAddressesStrings() {
        #expect(v(.inetService, [0, 22]) == 22)
        #expect(v(.mark, [0x2a, 0, 0, 0], bigEndian: false) == 42)
        #expect(v(.ipv4Addr, [10, 0, 0, 1]) == "10.0.0.1")
        #expect(v(.ipv6Addr, [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1]) == "2001:db8::1")
        #expect(v(.etherAddr, [0, 0x11, 0x22, 0x33, 0x44, 0x55]) == "00:11:22:33:44:55")
        #expect(v(.ifname, Array("eth0".utf8) + [0, 0]) == "eth0")
        #expect(v(.time, [0x30, 0x75, 0, 0, 0, 0, 0, 0], bigEndian: false) == 30)  // 30000 ms
        #expect(v(.integer, [UInt8](repeating: 0, count: 15) + [0xff]) == "0xff")  // wider than 64 bits
    }

    @Test func symbolicTypesFallBackToNumbers() {
        #expect(v(.inetProto, [6]) == "tcp")
        #expect(v(.inetProto, [253]) == 253)
        #expect(NFTJSONFormat.value(NFTValue(type: .inetProto, bytes: [6], bigEndian: true), interfaces: [:],
                                    numericProto: true) == 6)
        #expect(v(.icmpType, [8]) == "echo-request")
        #expect(v(.dscp, [0x08]) == "cs1")
        #expect(v(.dscp, [0x3f]) == 63)
        #expect(v(.ctDir, [1]) == "reply")
        #expect(v(.ifindex, [1, 0, 0, 0], bigEndian: false) == "lo")
        #expect(v(.ifindex, [9, 0, 0, 0], bigEndian: false) == "9")
        #expect(v(.classid, [2, 0, 1, 0], bigEndian: false) == "1:2")
    }

    @Test func flagTypesAreANameOrAList() {
        #expect(v(.ctState, [8, 0, 0, 0], bigEndian: false) == "new")
        #expect(v(.ctState, [6, 0, 0, 0], bigEndian: false) == ["established", "related"])
        #expect(v(.tcpFlag, [0x12]) == ["syn", "ack"])
        #expect(v(.ctState, [0, 0, 0, 0], bigEndian: false) == 0)
    }

    @Test func booleansAndLabels() {
        #expect(v(.boolean, [1]) == true)
        #expect(v(.boolean, [0]) == false)
        #expect(v(.ctLabel, [2] + [UInt8](repeating: 0, count: 15), bigEndian: false) == 1)
    }

    @Test func matchOperatorsFollowNft() {
        let dport = exprs(l4tcp + [load(2, 2, 2), cmp([0, 22]), accept])
        #expect(dport.count == 2)
        #expect(dport[0]["match"]?["op"] == "==")
        #expect(dport[0]["match"]?["left"] == ["payload": ["protocol": "tcp", "field": "dport"]])
        #expect(dport[0]["match"]?["right"] == 22)
        #expect(dport[1] == ["accept": nil])
        // A flag test (`ct state established,related`) is "in".
        let ct = exprs([
            .ct(.init(key: 0, dreg: Self.r1)),
            .bitwise(.init(sreg: Self.r1, dreg: Self.r1, length: 4, mask: [6, 0, 0, 0], xor: [0, 0, 0, 0])),
            cmp([0, 0, 0, 0], .neq), accept,
        ])
        #expect(ct[0]["match"]?["op"] == "in")
        #expect(ct[0]["match"]?["right"] == ["established", "related"])
        // Flags under a mask: the mask moves to the left side as "&".
        let flags = exprs(l4tcp + [
            load(2, 13, 1), .bitwise(.init(sreg: Self.r1, dreg: Self.r1, length: 1, mask: [0x12], xor: [0])), cmp([0x02]),
            accept,
        ])
        #expect(flags[0]["match"]?["op"] == "==")
        #expect(flags[0]["match"]?["left"] == ["&": [["payload": ["protocol": "tcp", "field": "flags"]], ["syn", "ack"]]])
        #expect(flags[0]["match"]?["right"] == "syn")
    }

    @Test func prefixesRangesAndNegation() {
        let p = exprs([load(1, 16, 3), cmp([10, 0, 0], .neq)], family: .ip)
        #expect(p[0]["match"]?["op"] == "!=")
        #expect(p[0]["match"]?["right"] == ["prefix": ["addr": "10.0.0.0", "len": 24]])
        let r = exprs(l4tcp + [load(2, 2, 2), cmp([0x03, 0xe8], .gte), cmp([0x07, 0xd0], .lte)])
        #expect(r[0]["match"]?["right"] == ["range": [1000, 2000]])
    }

    @Test func statementsWithNftShapes() {
        let counter = exprs([.counter(.init(packets: 3, bytes: 180))])
        #expect(counter == [["counter": ["packets": 3, "bytes": 180]]])
        let log = exprs([.log(.init(prefix: "x: ", level: 6, flags: 4))])
        #expect(log == [["log": ["prefix": "x: ", "level": "info", "flags": "ip options"]]])
        let limit = exprs([.limit(.init(rate: 10, unit: 60, burst: 5, type: 0, flags: 1))])
        #expect(limit == [["limit": ["rate": 10, "burst": 5, "per": "minute", "inv": true]]])
        let quota = exprs([.quota(.init(bytes: 2_097_152, consumed: 0, flags: 0))])
        #expect(quota == [["quota": ["val": 2, "val_unit": "mbytes"]]])
        let jump = exprs([.immediate(.init(dreg: .verdict, verdict: .jump("sub")))])
        #expect(jump == [["jump": ["target": "sub"]]])
        let rejectx = exprs([.reject(.init(type: 2, code: 3))])
        #expect(rejectx == [["reject": ["type": "icmpx", "expr": "admin-prohibited"]]])
        let masq = exprs([.masq(.init(flags: 4))], family: .ip)
        #expect(masq == [["masquerade": ["flags": "random"]]])
    }

    @Test func mangleStatements() {
        let mark = exprs([
            .immediate(.init(dreg: Self.r1, data: [5, 0, 0, 0])), .meta(.init(key: 3, sreg: Self.r1)),
        ])
        #expect(mark == [["mangle": ["key": ["meta": ["key": "mark"]], "value": 5]]])
    }

    @Test func setsAndMapsWithElements() {
        let set = NFTSet(
            family: .inet, table: "t", name: "nets", handle: 4, flags: [.interval], keyType: 7, keyLength: 4,
            elements: [
                SetElement(key: [10, 0, 0, 0]), SetElement(key: [11, 0, 0, 0], flags: 1),
                SetElement(key: [192, 168, 1, 1]), SetElement(key: [192, 168, 1, 2], flags: 1),
            ])
        let map = NFTSet(
            family: .inet, table: "t", name: "vm", handle: 5, flags: [.map], keyType: 13, keyLength: 2,
            dataType: NFTSet.verdictDataType,
            elements: [SetElement(key: [0, 22], verdict: .accept), SetElement(key: [0, 80], verdict: .jump("web"))])
        let table = Table(family: .inet, name: "t", handle: 1, sets: [set, map])
        let items = NFTJSONRenderer.document(RulesetSnapshot(generation: 1, tables: [table]))["nftables"]?.arrayValue ?? []
        #expect(items.count == 4)
        #expect(items[0]["metainfo"]?["json_schema_version"] == 1)
        #expect(items[2]["set"]?["type"] == "ipv4_addr")
        #expect(items[2]["set"]?["flags"] == ["interval"])
        #expect(items[2]["set"]?["elem"] == [["prefix": ["addr": "10.0.0.0", "len": 8]], "192.168.1.1"])
        #expect(items[3]["map"]?["map"] == "verdict")
        #expect(items[3]["map"]?["elem"] == [[22, ["accept": nil]], [80, ["jump": ["target": "web"]]]])
    }

    @Test func xtObjectsCarryDecodedOptions() {
        // xt_comment: a 256-byte NUL-padded string.
        let info = Array("ssh".utf8) + [UInt8](repeating: 0, count: 253)
        let e = exprs([.match(.init(name: "comment", revision: 0, info: info)), accept], family: .ip)
        #expect(e[0]["xt"]?["type"] == "match")
        #expect(e[0]["xt"]?["name"] == "comment")
        #expect(e[0]["xt"]?["hostaudit"]?["decoded"] == true)
        #expect(e[0]["xt"]?["hostaudit"]?["options"] == ["comment": "ssh"])
        #expect(e[0]["xt"]?["hostaudit"]?["iptables"] == "-m comment --comment ssh")
        let unknown = exprs([.match(.init(name: "recent", revision: 0, info: [1, 2]))], family: .ip)
        #expect(unknown[0]["xt"]?["hostaudit"]?["decoded"] == false)
        #expect(unknown[0]["xt"]?["hostaudit"]?["info"] == "0102")
    }

    @Test func legacyTablesAreAnExtensionBesideNftables() {
        var rule = IptablesRule()
        rule.proto = 6
        rule.matches = [.tcp(XTMatch.TCP(destinationPorts: 22...22))]
        rule.target = .accept
        rule.packets = 4
        let legacy = IptablesTable(
            family: .ip, name: "filter", chains: [IptablesChain(name: "INPUT", policy: "DROP", rules: [rule])])
        let doc = NFTJSONRenderer.document(RulesetSnapshot(generation: 1, legacy: [legacy]))
        #expect(doc.objectValue?.keys == ["nftables", "hostaudit"])
        let ext = doc["hostaudit"]
        #expect(ext?["schema"] == "hostaudit.firewall/v1")
        #expect(ext?["backends_conflict"] == false)
        let t = ext?["legacy"]?[0]
        #expect(t?["family"] == "ip")
        #expect(t?["chains"]?[0] == ["name": "INPUT", "policy": "DROP", "packets": 0, "bytes": 0])
        #expect(t?["rules"]?[0]?["iptables"] == "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT")
        #expect(t?["rules"]?[0]?["packets"] == 4)
        #expect(t?["rules"]?[0]?["matches"]?[0]?["options"] == ["dport": 22])
        #expect(t?["rules"]?[0]?["target"] == ["name": "ACCEPT"])
    }

    @Test func streamedDocumentIsTheBuiltDocumentByteForByte() {
        // Two tables (sets, a map, chains, rules with a jump and a comment), a
        // legacy table and the backends-conflict warning: every kind of item and the extension key.
        let set = NFTSet(
            family: .inet, table: "t", name: "nets", handle: 4, flags: [.interval], keyType: 7, keyLength: 4,
            elements: [SetElement(key: [10, 0, 0, 0]), SetElement(key: [11, 0, 0, 0], flags: 1)])
        let map = NFTSet(
            family: .inet, table: "t", name: "vm", handle: 5, flags: [.map], keyType: 13, keyLength: 2,
            dataType: NFTSet.verdictDataType,
            elements: [SetElement(key: [0, 22], verdict: .accept), SetElement(key: [0, 80], verdict: .jump("web"))])
        var rules: [Rule] = []
        for h in 1...300 {
            rules.append(
                Rule(
                    family: .inet, table: "t", chain: "c", handle: UInt64(h),
                    expressions: l4tcp + [load(2, 2, 2), cmp([0, UInt8(h % 256)]), .counter(.init(packets: 1, bytes: 2)), accept]))
        }
        let chain = Chain(family: .inet, table: "t", name: "c", handle: 1, rules: rules)
        let web = Chain(family: .inet, table: "t", name: "web", handle: 2, rules: [])
        let t1 = Table(family: .inet, name: "t", handle: 1, chains: [chain, web], sets: [set, map])
        let t2 = Table(family: .ip, name: "u\"q", handle: 9)
        var rule = IptablesRule()
        rule.target = .accept
        let legacy = IptablesTable(family: .ip, name: "filter", chains: [IptablesChain(name: "INPUT", policy: "DROP", rules: [rule])])
        let snapshot = RulesetSnapshot(generation: 3, tables: [t1, t2], legacy: [legacy])
        #expect(!snapshot.warnings.isEmpty)  // both backends filter: the extension carries a warning
        let built = JSONWriter(pretty: false).bytes(NFTJSONRenderer.document(snapshot, version: "9.9"))
        for chunk in [1, 100, 1 << 16] {
            var streamed: [UInt8] = []
            var pieces = 0
            NFTJSONRenderer.writeCompact(snapshot, version: "9.9", chunkSize: chunk) {
                streamed += $0
                pieces += 1
            }
            #expect(streamed == built)
            if chunk == 100 { #expect(pieces > 10) }
        }
    }
}
