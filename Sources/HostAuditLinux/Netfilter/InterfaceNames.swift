#if canImport(Glibc)
import Glibc
#endif

/// Interface index → name in the current network namespace (`if_nameindex`),
/// for printing `iif`/`oif` values as nft does.
package enum InterfaceNames {
    package static func current() -> [UInt32: String] {
        var out: [UInt32: String] = [:]
        guard let list = if_nameindex() else { return out }
        defer { if_freenameindex(list) }
        var p = list
        while p.pointee.if_index != 0, let name = p.pointee.if_name {
            out[p.pointee.if_index] = String(cString: name)
            p += 1
        }
        return out
    }
}
