/// iptables-save's text for x_tables extensions that hostaudit prints but does
/// not decode into `XTMatch`/`XTTarget` (their semantics are not needed by the
/// verdict evaluator, which treats them as unknown): each function reads the
/// kernel's `xt_*` info struct for one (name, revision) and prints what that
/// extension's `save` function in iptables 1.8.9 prints. Nil when the name,
/// revision or struct size is not one known here.
public enum XTSaveText {
    /// `name` is what iptables prints after `-m` (an alias when the extension has one).
    public struct Text: Sendable, Equatable {
        public var name: String
        public var options: String
    }

    public static func match(name: String, revision: UInt32, info: [UInt8], family: Family, proto: UInt16?) -> Text? {
        let b = XTBytes(info)
        let options: String?
        switch (name, revision) {
        case ("recent", 0), ("recent", 1): options = recent(b, revision: revision, family: family)
        default: options = nil
        }
        return options.map { Text(name: name, options: $0) }
    }

    /// `xt_recent_mtinfo` (rev 0, 216 bytes) / `_v1` (232, adds the mask):
    /// seconds u32 @0, hit_count u32 @4, check_set u8 @8, invert u8 @9,
    /// name[200] @10, side u8 @210, mask @212. ufw's `limit` rules use it.
    static func recent(_ b: XTBytes, revision: UInt32, family: Family) -> String? {
        guard b.count == (revision == 0 ? 216 : 232) else { return nil }
        let check = b.u8(8)
        var s = b.u8(9) != 0 ? " !" : ""
        if check & 2 != 0 { s += " --set" }
        if check & 1 != 0 { s += " --rcheck" }
        if check & 4 != 0 { s += " --update" }
        if check & 8 != 0 { s += " --remove" }
        if b.u32(0) != 0 { s += " --seconds \(b.u32(0))" }
        if check & 32 != 0 { s += " --reap" }
        if b.u32(4) != 0 { s += " --hitcount \(b.u32(4))" }
        if check & 16 != 0 { s += " --rttl" }
        s += " --name " + b.cString(10, max: 200)
        if revision == 1 {
            s += " --mask " + IptablesSaveFormat.addressText(b.slice(212, family == .ip6 ? 16 : 4))
        }
        switch b.u8(210) {
        case 0: s += " --rsource"
        case 1: s += " --rdest"
        default: break
        }
        return s
    }

    public static func target(name: String, revision: UInt32, info: [UInt8], family: Family, proto: UInt16?) -> Text? {
        _ = XTBytes(info)
        let options: String?
        switch (name, revision) {
        default: options = nil
        }
        return options.map { Text(name: name, options: $0) }
    }
}
