/// File names (and link targets) from the audited host kept byte-exact in a
/// `String`.
///
/// A Linux name is any bytes but `/` and NUL; decoding one that is not UTF-8
/// with U+FFFD loses bytes, and the lossy name then fails to open (an
/// intruder's invalid-UTF-8 cron file or unit vanished that way). `text`
/// maps each byte that is not part of a valid UTF-8 sequence to one scalar of
/// the private-use range U+10FF80...U+10FFFF (byte 0xNN becomes U+10FFNN); a
/// valid scalar that itself lies in that range is stored as its four bytes the
/// same way, so the mapping is one-to-one and `bytes` gives the exact name
/// back. Names that are UTF-8 (nearly all) are unchanged.
///
/// `HostFiles` opens every path through `bytes`, so a listed name opens
/// whatever code builds a path from it. Terminal and HTML output show such a
/// byte as `\xNN` (backslashes themselves doubled, so unambiguous); JSON keeps
/// the exact scalar, written as a `\uXXXX` surrogate pair.
package enum RawName {
    static let base: UInt32 = 0x10FF00
    package static let range: ClosedRange<UInt32> = 0x10FF80...0x10FFFF

    /// The byte a scalar stands for, if it is one of the escapes.
    package static func byte(_ scalar: Unicode.Scalar) -> UInt8? {
        range.contains(scalar.value) ? UInt8(scalar.value - base) : nil
    }

    /// A name's bytes as text, exact (see above).
    package static func text(_ raw: some Collection<UInt8>) -> String {
        let b = Array(raw)
        guard b.contains(where: { $0 >= 0x80 }) else { return String(decoding: b, as: UTF8.self) }
        var out = String.UnicodeScalarView()
        func escape(_ x: UInt8) { out.append(Unicode.Scalar(base + UInt32(x))!) }
        var i = 0
        while i < b.count {
            if let (v, n) = scalar(b, i) {
                if range.contains(v) {
                    for x in b[i..<(i + n)] { escape(x) }
                } else {
                    out.append(Unicode.Scalar(v)!)
                }
                i += n
            } else {
                escape(b[i])
                i += 1
            }
        }
        return String(out)
    }

    /// The exact bytes a name from `text` stands for.
    package static func bytes(_ s: String) -> [UInt8] {
        guard s.unicodeScalars.contains(where: { range.contains($0.value) }) else { return Array(s.utf8) }
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count)
        for scalar in s.unicodeScalars {
            if let x = byte(scalar) { out.append(x) } else { out.append(contentsOf: String(scalar).utf8) }
        }
        return out
    }

    /// The name for display: each escaped byte as `\xNN`, nothing else changed.
    package static func display(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: { range.contains($0.value) }) else { return s }
        var out = ""
        for scalar in s.unicodeScalars {
            if let x = byte(scalar) { out += "\\x" + hex2(x) } else { out.unicodeScalars.append(scalar) }
        }
        return out
    }

    static func hex2(_ x: UInt8) -> String {
        let h = String(x, radix: 16)
        return h.count < 2 ? "0" + h : h
    }

    /// The well-formed UTF-8 sequence at `i` (Unicode Table 3-7): its scalar and length.
    static func scalar(_ b: [UInt8], _ i: Int) -> (UInt32, Int)? {
        let b0 = b[i]
        if b0 < 0x80 { return (UInt32(b0), 1) }
        func cont(_ k: Int, _ lo: UInt8 = 0x80, _ hi: UInt8 = 0xBF) -> UInt32? {
            guard i + k < b.count, b[i + k] >= lo, b[i + k] <= hi else { return nil }
            return UInt32(b[i + k] & 0x3F)
        }
        switch b0 {
        case 0xC2...0xDF:
            guard let c1 = cont(1) else { return nil }
            return (UInt32(b0 & 0x1F) << 6 | c1, 2)
        case 0xE0...0xEF:
            let lo: UInt8 = b0 == 0xE0 ? 0xA0 : 0x80
            let hi: UInt8 = b0 == 0xED ? 0x9F : 0xBF
            guard let c1 = cont(1, lo, hi), let c2 = cont(2) else { return nil }
            return (UInt32(b0 & 0x0F) << 12 | c1 << 6 | c2, 3)
        case 0xF0...0xF4:
            let lo: UInt8 = b0 == 0xF0 ? 0x90 : 0x80
            let hi: UInt8 = b0 == 0xF4 ? 0x8F : 0xBF
            guard let c1 = cont(1, lo, hi), let c2 = cont(2), let c3 = cont(3) else { return nil }
            return (UInt32(b0 & 0x07) << 18 | c1 << 12 | c2 << 6 | c3, 4)
        default:
            return nil
        }
    }
}
