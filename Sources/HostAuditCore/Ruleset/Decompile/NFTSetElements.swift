/// Set and map elements as nft lists them: values typed by the set's key
/// type, intervals merged back into prefixes and ranges, non-interval sets
/// sorted by value (`list_expr_sort`), concatenations split per component.
public enum NFTSetElements {
    public static func keyType(of set: NFTSet) -> NFTDatatype {
        NFTDatatype(id: set.keyType ?? 0)
    }

    static func components(_ t: NFTDatatype) -> [NFTDatatype] {
        if case .concat(let parts) = t { return parts }
        return [t]
    }

    /// Splits `bytes` into the typed components of `type`.
    static func key(_ bytes: [UInt8], _ type: NFTDatatype, forceBigEndian: Bool = false) -> NFTExpr {
        let parts = components(type)
        if parts.count == 1 {
            return .value(NFTValue(type: type, bytes: bytes, bigEndian: forceBigEndian || type.isBigEndian))
        }
        var out: [NFTExpr] = []
        var off = 0
        for p in parts {
            let n = p.byteLength
            let end = min(off + n, bytes.count)
            out.append(.value(NFTValue(type: p, bytes: off < end ? Array(bytes[off..<end]) : [], bigEndian: p.isBigEndian)))
            off += (n + 3) / 4 * 4
        }
        return .concat(out)
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

    static func lessKey(_ a: [UInt8], _ b: [UInt8], _ type: NFTDatatype) -> Bool {
        let parts = components(type)
        if parts.count == 1 { return compare(a, b, bigEndian: type.isBigEndian) }
        var off = 0
        for p in parts {
            let n = (p.byteLength + 3) / 4 * 4
            let x = Array(a[min(off, a.count)..<min(off + n, a.count)])
            let y = Array(b[min(off, b.count)..<min(off + n, b.count)])
            if x != y { return compare(x, y, bigEndian: p.isBigEndian) }
            off += n
        }
        return false
    }

    /// The elements of `set`, each as an element expression (mapping for maps).
    public static func elements(of set: NFTSet, decompiler: NFTDecompiler?) -> [NFTExpr] {
        let type = keyType(of: set)
        let isConcat = components(type).count > 1
        var out: [NFTExpr] = []
        out.reserveCapacity(set.elements.count)
        if set.flags.contains(.interval) && !isConcat {
            // Half-open intervals [start, end): sort and pair them up again.
            let sorted = set.elements.sorted { compare($0.key, $1.key, bigEndian: true) }
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
                } else {
                    endInclusive = [UInt8](repeating: 0xff, count: e.key.count)
                    i += 1
                }
                let k = interval(e.key, endInclusive, type, forceBigEndian: true)
                out.append(wrap(k, e, set))
            }
            return out
        }
        var elems = set.elements
        if !isConcat || !set.flags.contains(.interval) {
            elems.sort { lessKey($0.key, $1.key, type) }
        }
        for e in elems {
            var k: NFTExpr
            if let end = e.keyEnd, isConcat {
                var parts: [NFTExpr] = []
                var off = 0
                for p in components(type) {
                    let n = p.byteLength
                    let pad = (n + 3) / 4 * 4
                    let a = Array(e.key[min(off, e.key.count)..<min(off + n, e.key.count)])
                    let b = Array(end[min(off, end.count)..<min(off + n, end.count)])
                    parts.append(interval(a, b, p, forceBigEndian: false))
                    off += pad
                }
                k = .concat(parts)
            } else {
                k = key(e.key, type)
            }
            out.append(wrap(k, e, set))
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
    static func interval(_ a: [UInt8], _ b: [UInt8], _ type: NFTDatatype, forceBigEndian: Bool) -> NFTExpr {
        let be = forceBigEndian || type.isBigEndian
        let lo = NFTExpr.value(NFTValue(type: type, bytes: a, bigEndian: be))
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

    static func prefixable(_ t: NFTDatatype) -> Bool {
        switch t {
        case .ipv4Addr, .ipv6Addr, .ifname, .string, .etherAddr, .mark: true
        default: false
        }
    }

    static func wrap(_ key: NFTExpr, _ e: SetElement, _ set: NFTSet) -> NFTExpr {
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
                data = NFTSetElements.key(e.data ?? [], NFTDatatype(id: set.dataType ?? 0))
            }
            return .mapping(k, data)
        }
        return k
    }
}
