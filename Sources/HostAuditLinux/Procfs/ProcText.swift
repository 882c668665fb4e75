/// Decimal fields of procfs text, parsed from bytes the way Swift's
/// `UInt64(String)` / `Int64(String)` parse them (an optional sign, one or
/// more digits, nothing else; nil on overflow), without making a String.
enum ProcText {
    static func uint64(_ field: UnsafeBufferPointer<UInt8>) -> UInt64? {
        var i = field.startIndex
        if i < field.endIndex && field[i] == UInt8(ascii: "+") { i += 1 }
        guard i < field.endIndex else { return nil }
        var v: UInt64 = 0
        while i < field.endIndex {
            let d = field[i] &- 48
            guard d < 10 else { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(d))
            if o1 || o2 { return nil }
            v = a
            i += 1
        }
        return v
    }

    static func int64(_ field: UnsafeBufferPointer<UInt8>) -> Int64? {
        var negative = false
        var digits = field
        if let first = field.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            digits = UnsafeBufferPointer(rebasing: field[(field.startIndex + 1)...])
            // a second sign is not a number
            if let f = digits.first, f == UInt8(ascii: "+") || f == UInt8(ascii: "-") { return nil }
        }
        guard let m = uint64(digits) else { return nil }
        if negative {
            if m == UInt64(Int64.max) + 1 { return Int64.min }
            return m <= UInt64(Int64.max) ? -Int64(m) : nil
        }
        return m <= UInt64(Int64.max) ? Int64(m) : nil
    }
}
