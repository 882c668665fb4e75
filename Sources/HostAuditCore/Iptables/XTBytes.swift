/// Bounds-checked reads from an `xt_*` info struct or an x_tables blob.
///
/// Every decoder checks the struct's length first; reads past the end still
/// return zero rather than trap, so short or hostile data never crashes.
/// "Host" order is the kernel's native order (x_tables structs are shared
/// with the kernel of the machine that produced them).
struct XTBytes {
    let bytes: [UInt8]
    let base: Int

    init(_ bytes: [UInt8], base: Int = 0) {
        self.bytes = bytes
        self.base = base
    }

    var count: Int { bytes.count - base }

    func has(_ offset: Int, _ length: Int) -> Bool {
        offset >= 0 && length >= 0 && base + offset + length <= bytes.count
    }

    func u8(_ offset: Int) -> UInt8 {
        has(offset, 1) ? bytes[base + offset] : 0
    }

    func slice(_ offset: Int, _ length: Int) -> [UInt8] {
        guard has(offset, length) else { return [UInt8](repeating: 0, count: max(0, length)) }
        return Array(bytes[(base + offset)..<(base + offset + length)])
    }

    private func native<T: FixedWidthInteger>(_ offset: Int, _: T.Type) -> T {
        guard has(offset, MemoryLayout<T>.size) else { return 0 }
        var value: T = 0
        for i in 0..<MemoryLayout<T>.size {
            value |= T(truncatingIfNeeded: bytes[base + offset + i]) << (8 * i)
        }
        // Composed as little-endian; convert to the host's order.
        return T(littleEndian: value)
    }

    func u16(_ offset: Int) -> UInt16 { native(offset, UInt16.self) }
    func u32(_ offset: Int) -> UInt32 { native(offset, UInt32.self) }
    func u64(_ offset: Int) -> UInt64 { native(offset, UInt64.self) }
    func i32(_ offset: Int) -> Int32 { Int32(bitPattern: u32(offset)) }
    /// A `__be16` field.
    func be16(_ offset: Int) -> UInt16 { UInt16(u8(offset)) << 8 | UInt16(u8(offset + 1)) }

    /// A NUL-terminated string in a fixed-size field.
    func cString(_ offset: Int, max length: Int) -> String {
        let field = slice(offset, max(0, min(length, count - offset)))
        let end = field.firstIndex(of: 0) ?? field.count
        return String(decoding: field[..<end], as: UTF8.self)
    }
}

/// `XT_ALIGN`: x_tables structs are padded to 8 bytes.
@inline(__always) func xtAlign(_ n: Int) -> Int { (n + 7) & ~7 }
