#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Byte searches over text read from the host, through libc's vectorised `memchr`.
enum ByteScan {
    /// The index of the first `byte` in `buf` at or after `from`; `buf.count` when there is none.
    @inline(__always)
    static func index(of byte: UInt8, in buf: UnsafeBufferPointer<UInt8>, from: Int) -> Int {
        guard from < buf.count, let base = buf.baseAddress else { return buf.count }
        guard let hit = memchr(base + from, Int32(byte), buf.count - from) else { return buf.count }
        return base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
    }
}
