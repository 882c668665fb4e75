/// Unix time as UTC calendar text, written once for nft's `%Y-%m-%d %T` and
/// iptables-save's `gmtime` dates (days-to-civil, Howard Hinnant's algorithm,
/// proleptic Gregorian).
enum UTCDateText {
    /// `YYYY-MM-DD` + `separator` + `HH:MM:SS` for a day number since
    /// 1970-01-01 (negative before it) and a second of that day (0..<86400).
    static func text(days: Int64, secondOfDay rest: UInt64, separator: String) -> String {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        return "\(y)-" + pad2(UInt64(m)) + "-" + pad2(UInt64(d)) + separator + pad2(rest / 3600) + ":"
            + pad2(rest / 60 % 60) + ":" + pad2(rest % 60)
    }

    /// Two digits at least (`07`, `59`, `123`).
    static func pad2(_ v: UInt64) -> String { v < 10 ? "0\(v)" : String(v) }
}
