/// Set and map elements as nft lists them: values typed by the set's key
/// type (or its `typeof` expression), intervals merged back into prefixes
/// and ranges, non-interval sets sorted by value (`list_expr_sort`; a
/// concatenation by its bytes read as one little-endian number, as 1.0.6's
/// `concat_expr_msort_value` does), concatenations split per component.
enum NFTSetElements {
    static func keyType(of set: NFTSet) -> NFTDatatype {
        if let t = typeof(of: set).key { return displayType(t) }
        return NFTDatatype(id: set.keyType ?? 0)
    }

    /// The set's `typeof` key and data expressions, when nft would print them:
    /// each must match the kernel's lengths, and a data map whose data typeof
    /// is not usable prints its key with `type` too (`netlink_delinearize_set`).
    static func typeof(of set: NFTSet) -> (key: NFTTypeof?, data: NFTTypeof?) {
        guard let ud = set.userdata else { return (nil, nil) }
        var key = NFTTypeof.decode(userdata: ud, data: false, family: set.family)
        if let k = key, k.keyLength != Int(set.keyLength ?? 0) { key = nil }
        var data: NFTTypeof?
        if set.isMap {
            data = NFTTypeof.decode(userdata: ud, data: true, family: set.family)
            if let d = data, d.parts.count == 1, d.parts[0].type == .verdict {
                // A verdict's length is the register's, whatever the part says.
            } else if let d = data, d.keyLength != Int(set.dataLength ?? 0) {
                // nft 1.0.6 compares with the full data length, so interval data
                // (two values) always falls back to `type`.
                data = nil
            }
            if data == nil { key = nil }
        }
        return (key, data)
    }

    static func displayType(_ t: NFTTypeof) -> NFTDatatype {
        t.parts.count == 1 ? t.parts[0].type : .concat(t.parts.map(\.type))
    }

    /// How one component of a key is laid out and printed.
    struct KeyPart {
        var type: NFTDatatype
        var bytes: Int
        var bigEndian: Bool
    }

    static func parts(_ type: NFTDatatype) -> [KeyPart] {
        components(type).map { KeyPart(type: $0, bytes: $0.byteLength, bigEndian: $0.isBigEndian) }
    }

    static func parts(_ t: NFTTypeof) -> [KeyPart] {
        t.parts.map { KeyPart(type: $0.type, bytes: $0.byteLength, bigEndian: $0.bigEndian) }
    }

    static func components(_ t: NFTDatatype) -> [NFTDatatype] {
        if case .concat(let parts) = t { return parts }
        return [t]
    }

    /// Splits `bytes` into the typed components.
    static func key(_ bytes: [UInt8], _ parts: [KeyPart], forceBigEndian: Bool = false) -> NFTExpr {
        if parts.count == 1 {
            return value(bytes, parts[0], forceBigEndian: forceBigEndian)
        }
        var out: [NFTExpr] = []
        var off = 0
        for p in parts {
            let end = min(off + p.bytes, bytes.count)
            out.append(value(off < end ? Array(bytes[off..<end]) : [], p, forceBigEndian: false))
            off += (p.bytes + 3) / 4 * 4
        }
        return .concat(out)
    }

    static func key(_ bytes: [UInt8], _ type: NFTDatatype, forceBigEndian: Bool = false) -> NFTExpr {
        key(bytes, parts(type), forceBigEndian: forceBigEndian)
    }

    /// One value; several bits of a bitmask type print as `a | b` (`bitmask_expr_to_binops`).
    static func value(_ bytes: [UInt8], _ p: KeyPart, forceBigEndian: Bool) -> NFTExpr {
        let be = forceBigEndian || p.bigEndian
        switch p.type {
        case .ctState, .ctStatus, .tcpFlag, .ctEvent:
            let n = NFTFormat.uint(bytes, bigEndian: be)
            if n.nonzeroBitCount > 1 {
                var bits: [NFTExpr] = []
                var rest = n
                while rest != 0 {
                    let bit = rest & (~rest + 1)
                    rest &= ~bit
                    bits.append(.value(NFTValue(type: p.type, bytes: bitBytes(bit, count: bytes.count, bigEndian: be), bigEndian: be)))
                }
                return bits.dropFirst().reduce(bits[0]) { .binop(.or, $0, $1) }
            }
        default: break
        }
        return .value(NFTValue(type: p.type, bytes: bytes, bigEndian: be))
    }

    static func bitBytes(_ v: UInt64, count: Int, bigEndian: Bool) -> [UInt8] {
        let n = max(count, 1)
        let le = (0..<n).map { UInt8(truncatingIfNeeded: v >> UInt64(8 * $0)) }
        return bigEndian ? le.reversed() : le
    }

    static func compare(_ a: [UInt8], _ b: [UInt8], bigEndian: Bool) -> Bool {
        let n = max(a.count, b.count)
        if bigEndian {
            for i in 0..<n {
                let x = i < a.count ? a[i] : 0
                let y = i < b.count ? b[i] : 0
                if x != y { return x < y }
            }
        } else {
            for i in stride(from: n - 1, through: 0, by: -1) {
                let x = i < a.count ? a[i] : 0
                let y = i < b.count ? b[i] : 0
                if x != y { return x < y }
            }
        }
        return false
    }

    static func lessKey(_ a: [UInt8], _ b: [UInt8], _ parts: [KeyPart]) -> Bool {
        if parts.count == 1 {
            switch parts[0].type {
            case .ctState, .ctStatus, .tcpFlag, .ctEvent:
                // nft sorts `a | b` by its first (lowest) flag (`expr_msort_value`).
                let be = parts[0].bigEndian
                let x = NFTFormat.uint(a, bigEndian: be)
                let y = NFTFormat.uint(b, bigEndian: be)
                return x & (~x &+ 1) < y & (~y &+ 1)
            default:
                return compare(a, b, bigEndian: parts[0].bigEndian)
            }
        }
        var off = 0
        for p in parts {
            let n = (p.bytes + 3) / 4 * 4
            let x = Array(a[min(off, a.count)..<min(off + n, a.count)])
            let y = Array(b[min(off, b.count)..<min(off + n, b.count)])
            if x != y { return compare(x, y, bigEndian: p.bigEndian) }
            off += n
        }
        return false
    }

    /// nft's merge-sort value of a concatenated key, most significant byte first.
    static func concatSortKey(_ key: [UInt8], _ parts: [KeyPart]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(key.count)
        var off = 0
        for p in parts {
            let end = min(off + p.bytes, key.count)
            if off < end { out.append(contentsOf: key[off..<end]) }
            off += (p.bytes + 3) / 4 * 4
        }
        out.reverse()
        return out
    }

    /// The elements of `set`, each as an element expression (mapping for maps).
    static func elements(of set: NFTSet, decompiler: NFTDecompiler?, keyHint: NFTExpr? = nil) -> [NFTExpr] {
        // The catch-all element (`NFT_SET_ELEM_CATCHALL`) has no key: nft prints
        // it as `*`, after every other element.
        guard set.elements.contains(where: { $0.flags & 0x2 != 0 }) else {
            return regularElements(of: set, decompiler: decompiler, keyHint: keyHint)
        }
        var regular = set
        regular.elements = set.elements.filter { $0.flags & 0x2 == 0 }
        var out = regularElements(of: regular, decompiler: decompiler, keyHint: keyHint)
        let typeofs = typeof(of: set)
        let dparts = typeofs.data.map(parts)
        for e in set.elements where e.flags & 0x2 != 0 {
            out.append(wrap(.named("*", type: NFTDatatype(id: set.keyType ?? 0)), e, set, data: dparts))
        }
        return out
    }

    static func regularElements(of set: NFTSet, decompiler: NFTDecompiler?, keyHint: NFTExpr? = nil) -> [NFTExpr] {
        let typeofs = typeof(of: set)
        var kparts = typeofs.key.map(parts) ?? parts(NFTDatatype(id: set.keyType ?? 0))
        if typeofs.key == nil, kparts.count == 1, kparts[0].type == .integer, let ud = set.userdata,
            let order = NFTUserdata.u32(ud, type: 0)
        {
            // A plain integer key in the byte order nft recorded (`NFTNL_UDATA_SET_KEYBYTEORDER`:
            // 1 host, 2 network), as for `vlan id != { 1, 2 }`.
            if order == 2 { kparts[0].bigEndian = true } else if order == 1 { kparts[0].bigEndian = false }
        }
        if typeofs.key == nil, case .concat(let hint)? = keyHint, hint.count == kparts.count {
            // An anonymous set takes its components' types from the lookup's key:
            // a raw payload's values print in hex (`ip saddr . @nh,32,32 { 1.1.1.1 . 0x14 }`).
            for (i, h) in hint.enumerated() {
                if case .rawPayload = h, kparts[i].type == .integer { kparts[i].type = .xinteger }
            }
        }
        let dparts = typeofs.data.map(parts)
        let isConcat = kparts.count > 1
        var out: [NFTExpr] = []
        out.reserveCapacity(set.elements.count)
        if set.flags.contains(.interval) && !isConcat {
            // Half-open intervals [start, end): sort and pair them up again.
            // At equal keys an interval's end comes before the next interval's start.
            let sorted = set.elements.sorted {
                if $0.key == $1.key { return $0.isIntervalEnd && !$1.isIntervalEnd }
                return compare($0.key, $1.key, bigEndian: true)
            }
            var i = 0
            while i < sorted.count {
                let e = sorted[i]
                if e.isIntervalEnd {
                    i += 1
                    continue
                }
                var endInclusive: [UInt8]
                if i + 1 < sorted.count, sorted[i + 1].isIntervalEnd {
                    endInclusive = decrement(sorted[i + 1].key)
                    i += 2
                } else if i + 1 < sorted.count {
                    // Adjacent intervals share a boundary: nft sends no end element,
                    // the next start closes this one.
                    endInclusive = decrement(sorted[i + 1].key)
                    i += 1
                } else {
                    endInclusive = [UInt8](repeating: 0xff, count: e.key.count)
                    i += 1
                }
                let k = interval(e.key, endInclusive, kparts[0], forceBigEndian: true)
                out.append(wrap(k, e, set, data: dparts))
            }
            return out
        }
        var elems = set.elements
        if !isConcat {
            // Equal sort keys (`a | b` and `a`) come out in reverse kernel order in nft 1.0.6.
            elems = elems.enumerated().sorted {
                if lessKey($0.element.key, $1.element.key, kparts) { return true }
                if lessKey($1.element.key, $0.element.key, kparts) { return false }
                return $0.offset > $1.offset
            }.map(\.element)
        } else if !set.flags.contains(.interval) {
            // `concat_expr_msort_value` (1.0.6): the components' bytes, unpadded and
            // each in its own byte order, read back as one host-endian (little-endian)
            // number, so the last byte weighs most. Compared here as the reversed bytes.
            let keys = elems.map { concatSortKey($0.key, kparts) }
            elems = elems.indices.sorted { a, b in
                let x = keys[a]
                let y = keys[b]
                if x != y { return x.lexicographicallyPrecedes(y) }
                return a > b
            }.map { elems[$0] }
        }
        for e in elems {
            var k: NFTExpr
            if let end = e.keyEnd, isConcat {
                var parts: [NFTExpr] = []
                var off = 0
                for p in kparts {
                    let n = p.bytes
                    let pad = (n + 3) / 4 * 4
                    let a = Array(e.key[min(off, e.key.count)..<min(off + n, e.key.count)])
                    let b = Array(end[min(off, end.count)..<min(off + n, end.count)])
                    // Interval concatenations hold every component in network order.
                    parts.append(interval(a, b, p, forceBigEndian: true))
                    off += pad
                }
                k = .concat(parts)
            } else if isConcat, set.flags.contains(.interval) {
                k = key(e.key, kparts.map { KeyPart(type: $0.type, bytes: $0.bytes, bigEndian: true) })
            } else {
                k = key(e.key, kparts)
            }
            out.append(wrap(k, e, set, data: dparts))
        }
        return out
    }

    static func decrement(_ b: [UInt8]) -> [UInt8] {
        var r = b
        var i = r.count - 1
        while i >= 0 {
            if r[i] > 0 {
                r[i] -= 1
                return r
            }
            r[i] = 0xff
            i -= 1
        }
        return r
    }

    /// `a`, `a/len` or `a-b` for an inclusive interval (big-endian bytes).
    static func interval(_ a: [UInt8], _ b: [UInt8], _ part: KeyPart, forceBigEndian: Bool) -> NFTExpr {
        let type = part.type
        let be = forceBigEndian || part.bigEndian
        let lo = value(a, part, forceBigEndian: forceBigEndian)
        if a == b { return lo }
        // Prefix: the high bits agree, then `a` has only zeros and `b` only ones.
        let total = a.count * 8
        var common = 0
        var isPrefix = true
        var i = 0
        while i < total {
            let byte = i / 8
            let bit = 7 - i % 8
            let x = (a[byte] >> UInt8(bit)) & 1
            let y = (b[byte] >> UInt8(bit)) & 1
            if x == y {
                i += 1
                common += 1
                continue
            }
            break
        }
        var j = common
        while j < total {
            let byte = j / 8
            let bit = 7 - j % 8
            if (a[byte] >> UInt8(bit)) & 1 != 0 || (b[byte] >> UInt8(bit)) & 1 != 1 {
                isPrefix = false
                break
            }
            j += 1
        }
        if isPrefix, prefixable(type) {
            return .prefix(lo, length: common)
        }
        return .range(lo, .value(NFTValue(type: type, bytes: b, bigEndian: be)))
    }

    /// `range_expr_to_prefix` for interval map data: a prefix whenever the
    /// range is one (also `/32` for a single address), else `low-high`.
    static func intervalData(_ a: [UInt8], _ b: [UInt8], _ part: KeyPart) -> NFTExpr {
        let lo = value(a, part, forceBigEndian: true)
        if a == b { return .prefix(lo, length: a.count * 8) }
        let r = interval(a, b, part, forceBigEndian: true)
        return r
    }

    static func prefixable(_ t: NFTDatatype) -> Bool {
        switch t {
        case .ipv4Addr, .ipv6Addr, .ifname, .string, .etherAddr, .mark: true
        default: false
        }
    }

    static func wrap(_ key: NFTExpr, _ e: SetElement, _ set: NFTSet, data dparts: [KeyPart]?) -> NFTExpr {
        var k = key
        if !e.expressions.isEmpty {
            k = .elementStatements(k, NFTDecompiler.statements(e.expressions, family: set.family))
        }
        let timeout = e.timeout.flatMap { $0 == 0 ? nil : $0 }
        let expires = e.expiration.flatMap { $0 == 0 ? nil : $0 }
        let comment = e.userdata.flatMap(NFTUserdata.elementComment)
        if timeout != nil || expires != nil || comment != nil {
            k = .element(k, timeout: timeout, expires: expires, comment: comment)
        }
        if set.isMap || set.flags.contains(.object) {
            let data: NFTExpr
            if let v = e.verdict {
                data = .verdict(v)
            } else if let o = e.objectReference {
                data = .string("\"" + o + "\"")
            } else {
                let dp = dparts ?? parts(NFTDatatype(id: set.dataType ?? 0))
                let bytes = e.data ?? []
                if dp.count == 1, let ud = set.userdata, NFTUserdata.u32(ud, type: 6) == 1, bytes.count >= 2 {
                    // Interval data: [low, high] halves, shown as a prefix or range
                    // (`netlink_parse_interval_elem`).
                    let half = bytes.count / 2
                    data = intervalData(Array(bytes[..<half]), Array(bytes[half...]), dp[0])
                } else if dp.count > 1, let ud = set.userdata, NFTUserdata.u32(ud, type: 6) == 1, bytes.count >= 2 {
                    // Interval data of a concatenation: the low concatenation, then
                    // the high one; each component its own range (`a-b . c-d`).
                    let half = bytes.count / 2
                    var items: [NFTExpr] = []
                    var off = 0
                    for p in dp {
                        let lo = Array(bytes[min(off, half)..<min(off + p.bytes, half)])
                        let hi = Array(bytes[min(half + off, bytes.count)..<min(half + off + p.bytes, bytes.count)])
                        items.append(interval(lo, hi, p, forceBigEndian: true))
                        off += (p.bytes + 3) / 4 * 4
                    }
                    data = .concat(items)
                } else {
                    data = NFTSetElements.key(bytes, dp)
                }
            }
            return .mapping(k, data)
        }
        return k
    }
}
