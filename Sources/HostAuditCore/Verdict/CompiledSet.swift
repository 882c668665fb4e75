/// A set or map prepared once for lookups: a hash of exact keys, a sorted
/// list of interval boundaries (the kernel's rbtree: half-open ranges whose
/// end elements carry `NFT_SET_ELEM_INTERVAL_END`, dumped in reverse), or a
/// list of per-field ranges (concatenated intervals with `KEY_END`, pipapo).
struct CompiledSet: Sendable {
    let set: NFTSet
    let keyLength: Int
    private let exact: [[UInt8]: Int]
    /// Interval boundaries sorted by key; on equal keys the end sorts first, so
    /// that a range starting where another ends wins.
    private let boundaries: [(key: [UInt8], isEnd: Bool, element: Int)]
    private let ranges: [(from: [UInt8], to: [UInt8], element: Int)]
    /// Byte width of each (4-byte padded) field, when the key type says.
    private let fields: [Int]?
    private let kind: Kind

    enum Kind { case exact, interval, fieldRanges }

    init(_ set: NFTSet) {
        self.set = set
        let len = Int(set.keyLength ?? UInt32(set.elements.first?.key.count ?? 0))
        keyLength = len
        fields = CompiledSet.fieldWidths(keyType: set.keyType, keyLength: len)
        if set.elements.contains(where: { $0.keyEnd != nil }) {
            kind = .fieldRanges
            ranges = set.elements.enumerated().map { (i, e) in (e.key, e.keyEnd ?? e.key, i) }
            exact = [:]
            boundaries = []
        } else if set.flags.contains(.interval) {
            kind = .interval
            var b = set.elements.enumerated().map { (i, e) in (key: CompiledSet.pad(e.key, len), isEnd: e.isIntervalEnd, element: i) }
            b.sort { a, c in
                if a.key != c.key { return a.key.lexicographicallyPrecedes(c.key) }
                return a.isEnd && !c.isEnd
            }
            boundaries = b
            exact = [:]
            ranges = []
        } else {
            kind = .exact
            var d: [[UInt8]: Int] = [:]
            d.reserveCapacity(set.elements.count)
            for (i, e) in set.elements.enumerated() where !e.isIntervalEnd {
                d[CompiledSet.pad(e.key, len)] = i
            }
            exact = d
            boundaries = []
            ranges = []
        }
    }

    static func pad(_ b: [UInt8], _ n: Int) -> [UInt8] {
        if b.count == n { return b }
        if b.count > n { return Array(b.prefix(n)) }
        return b + [UInt8](repeating: 0, count: n - b.count)
    }

    /// The element matching `key` (exactly `keyLength` bytes), or nil.
    /// Returns `.failure` when the set's layout cannot be interpreted.
    func lookup(_ key: [UInt8]) -> Result<Int?, LookupProblem> {
        switch kind {
        case .exact:
            return .success(exact[key])
        case .interval:
            // Greatest boundary ≤ key; a match when it starts a range.
            var lo = 0
            var hi = boundaries.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if !key.lexicographicallyPrecedes(boundaries[mid].key) { lo = mid + 1 } else { hi = mid }
            }
            guard lo > 0 else { return .success(nil) }
            let b = boundaries[lo - 1]
            return .success(b.isEnd ? nil : b.element)
        case .fieldRanges:
            let widths = fields ?? [keyLength]
            guard widths.reduce(0, +) == keyLength else { return .failure(LookupProblem()) }
            for r in ranges {
                var offset = 0
                var inside = true
                for w in widths {
                    let v = key[offset..<offset + w]
                    let from = CompiledSet.pad(r.from, keyLength)[offset..<offset + w]
                    let to = CompiledSet.pad(r.to, keyLength)[offset..<offset + w]
                    if v.lexicographicallyPrecedes(from) || to.lexicographicallyPrecedes(v) {
                        inside = false
                        break
                    }
                    offset += w
                }
                if inside { return .success(r.element) }
            }
            return .success(nil)
        }
    }

    struct LookupProblem: Error {}

    /// Widths of nft's datatypes (by id) as stored in set keys, before padding.
    static let typeWidths: [UInt32: Int] = [
        2: 1, 7: 4, 8: 16, 9: 6, 10: 2, 11: 2, 12: 1, 13: 2, 14: 1, 15: 1, 19: 4, 20: 4, 21: 2, 22: 4, 23: 4, 24: 4,
        25: 4, 26: 4, 27: 1, 28: 4, 29: 1, 30: 16, 31: 1, 32: 1, 33: 1, 34: 1, 35: 4, 36: 1, 37: 1, 38: 4, 39: 1, 40: 4,
        41: 16, 42: 1, 43: 8, 44: 4, 45: 1, 46: 8,
    ]

    /// Splits a concatenated key type (`(a << 6) | b`) into padded field widths.
    static func fieldWidths(keyType: UInt32?, keyLength: Int) -> [Int]? {
        guard var t = keyType, t != 0 else { return nil }
        var widths: [Int] = []
        while t != 0 {
            guard let w = typeWidths[t & 0x3f] else { return nil }
            widths.insert((w + 3) / 4 * 4, at: 0)
            t >>= 6
        }
        if widths.count == 1 { return [keyLength] }
        return widths.reduce(0, +) == keyLength ? widths : nil
    }
}
