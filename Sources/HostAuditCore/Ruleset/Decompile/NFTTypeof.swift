/// `typeof` set and map declarations: nft keeps the expressions a set was
/// declared with in the set's userdata (`NFTNL_UDATA_SET_KEY_TYPEOF`,
/// `_DATA_TYPEOF`), as nested TLVs written by each expression's
/// `build_udata` (nftables 1.0.6 `payload.c`, `meta.c`, `ct.c`, `exthdr.c`,
/// `expression.c` concat, `socket.c`, `fib.c`, `numgen.c`, `osf.c`,
/// `hash.c`), and lists the set with them (`netlink_delinearize_set`).
///
/// The typeof expression also types the elements: its datatype, byte order
/// and length replace the ones the kernel's key type implies.
struct NFTTypeof: Sendable, Equatable {
    /// One component of the key (several for a concatenation).
    struct Part: Sendable, Equatable {
        /// The expression as nft prints it (`ip saddr`, `meta mark`, `tcp option maxseg size`).
        var expr: NFTExpr
        var type: NFTDatatype
        /// Length in bits (`ip dscp` 6, `ip saddr` 32).
        var bits: Int
        var bigEndian: Bool

        /// Bytes of the value, rounded up.
        var byteLength: Int { (bits + 7) / 8 }
    }

    var parts: [Part]

    /// The expression as printed after `typeof`.
    var expr: NFTExpr { parts.count == 1 ? parts[0].expr : .concat(parts.map(\.expr)) }

    /// Length in bytes the kernel key must have for nft to trust the typeof
    /// (`set_udata_key_valid`): one part's bytes, or concatenated parts padded to 4.
    var keyLength: Int {
        parts.count == 1 ? parts[0].byteLength : parts.reduce(0) { $0 + ($1.byteLength + 3) / 4 * 4 }
    }

    // nft's `enum expr_types` (1.0.6).
    static let exprVerdict: UInt32 = 1
    static let exprPayload: UInt32 = 7
    static let exprExthdr: UInt32 = 8
    static let exprMeta: UInt32 = 9
    static let exprSocket: UInt32 = 10
    static let exprOsf: UInt32 = 11
    static let exprCt: UInt32 = 12
    static let exprConcat: UInt32 = 13
    static let exprNumgen: UInt32 = 23
    static let exprHash: UInt32 = 24
    static let exprFib: UInt32 = 26
    static let exprXfrm: UInt32 = 27

    /// The key (`data == false`) or data typeof of a set's userdata; nil when
    /// absent or not understood.
    static func decode(userdata: [UInt8], data: Bool, family: Family) -> NFTTypeof? {
        guard let outer = NFTUserdata.tlv(userdata, type: data ? 4 : 3) else { return nil }
        return decodeExpr(Array(outer), family: family).map { NFTTypeof(parts: $0) }
    }

    /// `{TYPEOF_EXPR u32, TYPEOF_DATA nest}` (also the shape of a concat item).
    static func decodeExpr(_ bytes: [UInt8], family: Family) -> [Part]? {
        guard let t = u32(bytes, 0), let d = NFTUserdata.tlv(bytes, type: 1) else { return nil }
        let ud = Array(d)
        if t == exprConcat {
            var parts: [Part] = []
            var i: UInt8 = 0
            while let item = NFTUserdata.tlv(ud, type: i) {
                guard let p = decodeExpr(Array(item), family: family), p.count == 1 else { return nil }
                parts += p
                i += 1
            }
            return parts.count > 1 ? parts : nil
        }
        return decodeSingle(t, ud, family: family).map { [$0] }
    }

    static func u32(_ bytes: [UInt8], _ type: UInt8) -> UInt32? {
        guard let v = NFTUserdata.tlv(bytes, type: type), v.count >= 4 else { return nil }
        return UInt32(NFTFormat.uint(Array(v.prefix(4)), bigEndian: false))
    }

    // swiftlint:disable:next cyclomatic_complexity function_body_length
    static func decodeSingle(_ etype: UInt32, _ ud: [UInt8], family: Family) -> Part? {
        switch etype {
        case exprVerdict:
            return Part(expr: .string("verdict"), type: .verdict, bits: 32, bigEndian: false)
        case exprPayload:
            // DESC 0 (proto_desc_id), TYPE 1 (template index), BASE 2, OFFSET 3, LEN 4 (bits).
            let descID = u32(ud, 0) ?? 0
            let tmpl = Int(u32(ud, 1) ?? 0)
            if descID == 0 {
                guard let base = u32(ud, 2), base >= 1, let off = u32(ud, 3), let len = u32(ud, 4) else { return nil }
                return Part(
                    expr: .rawPayload(base: base - 1, offsetBits: Int(off), lengthBits: Int(len)), type: .xinteger,
                    bits: Int(len), bigEndian: true)
            }
            guard let d = protoDesc(descID), tmpl >= 1, tmpl <= d.fields.count else { return nil }
            let f = d.fields[tmpl - 1]
            let bits = u32(ud, 4).map(Int.init) ?? f.length
            return Part(
                expr: .payload(
                    NFTPayloadField(proto: d.name, field: f.name, type: f.type, bigEndian: f.bigEndian,
                                    offsetBits: f.offset, lengthBits: f.length, base: d.base)),
                type: f.type, bits: bits, bigEndian: f.bigEndian)
        case exprMeta:
            guard let key = u32(ud, 0) else { return nil }
            let k = NFTProtocols.meta(key)
            guard k.name != "unknown" else { return nil }
            return Part(
                expr: .meta(key: k.name, type: k.type, qualified: k.qualified), type: k.type,
                bits: NFTDecompiler.metaLength(key) * 8, bigEndian: k.bigEndian)
        case exprCt:
            // KEY 0 u32, DIR 1 (-1: none).
            guard let key = u32(ud, 0) else { return nil }
            let dir = u32(ud, 1).flatMap { $0 == 0 ? "original" : $0 == 1 ? "reply" : nil }
            if key == 8 || key == 9 { return nil }  // family-dependent `saddr`: nft 1.0.6 cannot restore it either
            let k = NFTProtocols.ct(key, family: family == .ip6 ? .ip6 : .ip)
            guard k.name != "unknown" else { return nil }
            return Part(
                expr: .ct(key: k.name, direction: dir, type: k.type), type: k.type,
                bits: NFTDecompiler.ctLength(key) * 8, bigEndian: k.bigEndian)
        case exprExthdr:
            // DESC 0 (option kind / ipv6 exthdr id), TYPE 1 (field index), OP 2.
            guard let desc = u32(ud, 0), let type = u32(ud, 1) else { return nil }
            return exthdr(op: u32(ud, 2) ?? 0, desc: desc, field: Int(type))
        case exprSocket:
            guard let key = u32(ud, 0) else { return nil }
            let (name, t, bits): (String, NFTDatatype, Int) =
                switch key {
                case 0: ("transparent", .integer, 1)
                case 1: ("mark", .mark, 32)
                case 2: ("wildcard", .integer, 1)
                default: ("cgroupv2", .integer, 64)
                }
            return Part(expr: .socket(key: name, type: t), type: t, bits: bits, bigEndian: false)
        case exprFib:
            // RESULT 0, FLAGS 1.
            guard let result = u32(ud, 0), let flags = u32(ud, 1) else { return nil }
            var names: [String] = []
            for (bit, n) in [(UInt32(1), "saddr"), (2, "daddr"), (4, "mark"), (8, "iif"), (16, "oif")]
            where flags & bit != 0 {
                names.append(n)
            }
            let (r, t, bits): (String, NFTDatatype, Int) =
                switch result {
                case 1: ("oif", .ifindex, 32)
                case 2: ("oifname", .ifname, 128)
                default: ("type", .fibAddr, 32)
                }
            return Part(expr: .fib(flags: names, result: r, type: t), type: t, bits: bits, bigEndian: false)
        case exprNumgen:
            // TYPE 0, MOD 1, OFFSET 2.
            guard let mod = u32(ud, 1) else { return nil }
            let mode = u32(ud, 0) == 1 ? "random" : "inc"
            return Part(
                expr: .numgen(mode: mode, modulus: mod, offset: u32(ud, 2) ?? 0), type: .integer, bits: 32,
                bigEndian: false)
        case exprXfrm:
            // KEY 0, SPNUM 1, DIR 2 (1: out).
            guard let key = u32(ud, 0) else { return nil }
            var words = u32(ud, 2) == 1 ? "ipsec out" : "ipsec in"
            if let sp = u32(ud, 1), sp != 0 { words += " spnum \(sp)" }
            let (name, t, bits, be): (String, NFTDatatype, Int, Bool) =
                switch key {
                case 1: ("ip daddr", .ipv4Addr, 32, true)
                case 2: ("ip6 daddr", .ipv6Addr, 128, true)
                case 3: ("ip saddr", .ipv4Addr, 32, true)
                case 4: ("ip6 saddr", .ipv6Addr, 128, true)
                case 5: ("reqid", .integer, 32, false)
                case 6: ("spi", .integer, 32, true)
                default: ("", .invalid, 0, false)
                }
            guard bits > 0 else { return nil }
            return Part(expr: .named(words + " " + name, type: t), type: t, bits: bits, bigEndian: be)
        case exprOsf:
            return Part(expr: .string("osf name"), type: .string, bits: 128, bigEndian: true)
        case exprHash:
            // nft 1.0.6 prints a jhash typeof without its input expression.
            let name = u32(ud, 0) == 1 ? "symhash" : "jhash "
            return Part(expr: .string(name), type: .integer, bits: 32, bigEndian: false)
        default:
            return nil
        }
    }

    static func protoDesc(_ id: UInt32) -> NFTProtoDesc? {
        switch id {
        case 1: NFTProtocols.ah
        case 2: NFTProtocols.esp
        case 3: NFTProtocols.comp
        case 4: NFTProtocols.icmp
        case 5: NFTProtocols.igmp
        case 6: NFTProtocols.udp
        case 7: NFTProtocols.udplite
        case 8: NFTProtocols.tcp
        case 9: NFTProtocols.dccp
        case 10: NFTProtocols.sctp
        case 11: NFTProtocols.th
        case 12: NFTProtocols.ip
        case 13: NFTProtocols.ip6
        case 14: NFTProtocols.icmp6Template
        case 15: NFTProtocols.arp
        case 16: NFTProtocols.vlan
        case 17: NFTProtocols.ether
        default: nil
        }
    }

    static func exthdr(op: UInt32, desc: UInt32, field: Int) -> Part? {
        switch op {
        case 1:
            let (name, fields) = NFTProtocols.tcpOption(kind: UInt8(truncatingIfNeeded: desc))
            guard field >= 0, field < fields.count else { return nil }
            let f = fields[field]
            return Part(
                expr: .exthdr(desc: "tcp option \(name)", field: f.2, type: .integer, exists: false), type: .integer,
                bits: f.1, bigEndian: true)
        case 2:
            let name = NFTProtocols.ipOption(type: UInt8(truncatingIfNeeded: desc))
            // ipopt_fields: INVALID 0, TYPE 1, LENGTH 2, VALUE 3, PTR 4, ADDR_0 5.
            let fields: [(String, Int, NFTDatatype)] = [
                ("type", 8, .integer), ("length", 8, .integer), ("value", 16, .integer), ("ptr", 8, .integer),
                ("addr", 32, .ipv4Addr),
            ]
            guard field >= 1, field <= fields.count else { return nil }
            let f = fields[field - 1]
            return Part(
                expr: .exthdr(desc: "ip option \(name)", field: f.0, type: f.2, exists: false), type: f.2, bits: f.1,
                bigEndian: true)
        case 0:
            // exthdr_desc_id: hbh 1, rt 2, rt0 3, rt2 4, srh 5, frag 6, dst 7, mh 8.
            let types: [UInt32: UInt8] = [1: 0, 2: 43, 6: 44, 7: 60, 8: 135]
            guard let t = types[desc] else { return nil }
            let (name, fields) = NFTProtocols.ipv6Exthdr(type: t)
            guard field >= 1, field <= fields.count else { return nil }
            let f = fields[field - 1]
            return Part(
                expr: .exthdr(desc: name, field: f.2, type: f.3, exists: false), type: f.3, bits: f.1, bigEndian: true)
        default:
            return nil
        }
    }
}
