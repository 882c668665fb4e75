import HostAuditCore
import Testing

/// `typeof` userdata as nft 1.0.6 writes it (bytes taken from the kernel).
@Suite("Decompiler: typeof sets and maps")
struct NFTTypeofTests {
    static func hex(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        var i = s.startIndex
        while i < s.endIndex {
            let j = s.index(i, offsetBy: 2)
            out.append(UInt8(s[i..<j], radix: 16)!)
            i = j
        }
        return out
    }

    func declaration(_ set: NFTSet) -> [String] {
        let table = Table(family: set.family, name: "t", handle: 1, sets: [set])
        let out = NFTTextRenderer.render(table: table, in: RulesetSnapshot(generation: 1, tables: [table]))
        return out.split(separator: "\n").map { String($0.drop { $0 == "\t" }) }
    }

    func set(_ udata: String, keyLength: UInt32, flags: NFTSet.Flags = [], dataLength: UInt32? = nil,
             elements: [SetElement] = []) -> NFTSet {
        var s = NFTSet(family: .inet, table: "t", name: "s", handle: 1, flags: flags, keyType: 7, keyLength: keyLength,
                       dataType: dataLength == nil ? nil : 7, dataLength: dataLength, elements: elements)
        s.userdata = Self.hex(udata)
        return s
    }

    @Test func payloadAndConcat() {
        #expect(declaration(set("0004020000000314000407000000010c00040c00000001040b000000", keyLength: 4))[2]
            == "typeof ip saddr")
        let concat =
            "000400000000033400040d000000012c0014000407000000010c00040c00000001040c0000000114000407000000010c00040800000001040200"
            + "0000"
        #expect(declaration(set(concat, keyLength: 8))[2] == "typeof ip daddr . tcp dport")
        // A key length that does not match: nft falls back to `type`.
        #expect(declaration(set(concat, keyLength: 4))[2] == "type ipv4_addr")
    }

    @Test func metaCtExthdrAndRaw() {
        #expect(declaration(set("000401000000030e0004090000000106000403000000", keyLength: 4))[2] == "typeof meta mark")
        #expect(declaration(set("000401000000030e0004090000000106000406000000", keyLength: 16))[2] == "typeof iifname")
        #expect(declaration(set("000402000000031400040c000000010c000414000000010401000000", keyLength: 4))[2]
            == "typeof ct reply ip daddr")
        #expect(declaration(set("000402000000031a0004080000000112010402000000020401000000000402000000", keyLength: 2))[2]
            == "typeof tcp option maxseg size")
        #expect(declaration(set("0004020000000314000408000000010c010406000000000406000000", keyLength: 4))[2]
            == "typeof frag id")
        #expect(declaration(set("000402000000031a0004080000000112010404000000020402000000000407000000", keyLength: 1))[2]
            == "typeof ip option rr ptr")
        #expect(
            declaration(set("0004020000000326000407000000011e000400000000010400000000020402000000030400000000040408000000",
                            keyLength: 1))[2] == "typeof @nh,0,8")
    }

    @Test func elementsTakeTheTypeofByteOrder() {
        // `typeof udp length`: a big-endian integer (the key type alone says host order).
        let s = set("000402000000031a0004070000000112000406000000010403000000040410000000", keyLength: 2,
                    elements: [SetElement(key: [0, 100])])
        #expect(declaration(s)[3] == "elements = { 100 }")
    }

    @Test func intervalDataMap() {
        let ud =
            "0004020000000104020000000314000407000000010c00040c00000001040b0000000414000407000000010c00040c00000001040c000000"
            + "060401000000"
        let s = set(ud, keyLength: 4, flags: [.map, .interval], dataLength: 8, elements: [
            SetElement(key: [11, 0, 0, 0], flags: 1), SetElement(key: [10, 0, 0, 0], data: [1, 2, 3, 4, 1, 2, 3, 8]),
            SetElement(key: [0, 0, 0, 0], flags: 1),
        ])
        let lines = declaration(s)
        // nft 1.0.6 checks the data typeof against the whole (doubled) data length.
        #expect(lines[2] == "type ipv4_addr : interval ipv4_addr")
        #expect(lines[4] == "elements = { 10.0.0.0/8 : 1.2.3.4-1.2.3.8 }")
    }
}
