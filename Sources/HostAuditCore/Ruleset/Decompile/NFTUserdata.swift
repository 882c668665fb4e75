/// nft's TLV userdata on sets and set elements (`NFTNL_UDATA_SET_*`,
/// `NFTNL_UDATA_SET_ELEM_*`): type u8, length u8, value.
package enum NFTUserdata {
    static func tlv(_ bytes: [UInt8], type wanted: UInt8) -> ArraySlice<UInt8>? {
        var i = 0
        while i + 2 <= bytes.count {
            let t = bytes[i]
            let n = Int(bytes[i + 1])
            guard i + 2 + n <= bytes.count else { return nil }
            if t == wanted { return bytes[(i + 2)..<(i + 2 + n)] }
            i += 2 + n
        }
        return nil
    }

    /// A u32 TLV (host order, as `nftnl_udata_put_u32` writes it).
    static func u32(_ bytes: [UInt8], type: UInt8) -> UInt32? {
        guard let v = tlv(bytes, type: type), v.count == 4 else { return nil }
        return UInt32(NFTFormat.uint(Array(v), bigEndian: false))
    }

    static func string(_ s: ArraySlice<UInt8>) -> String {
        var v = s
        if let nul = v.firstIndex(of: 0) { v = v[..<nul] }
        return String(decoding: v, as: UTF8.self)
    }

    /// `NFTNL_UDATA_SET_ELEM_COMMENT`.
    static func elementComment(_ bytes: [UInt8]) -> String? {
        tlv(bytes, type: 0).map(string)
    }

    /// `NFTNL_UDATA_SET_COMMENT`.
    static func setComment(_ bytes: [UInt8]) -> String? {
        tlv(bytes, type: 7).map(string)
    }

    /// `NFTNL_UDATA_OBJ_COMMENT` (named objects: counter, quota, limit, ct helper …).
    package static func objectComment(_ bytes: [UInt8]) -> String? {
        tlv(bytes, type: 0).map(string)
    }
}
