import Foundation

/// iptables-save's text for x_tables extensions that hostaudit prints but does
/// not decode into `XTMatch`/`XTTarget` (their semantics are not needed by the
/// verdict evaluator, which treats them as unknown): each function reads the
/// kernel's `xt_*` info struct for one (name, revision) and prints what that
/// extension's `save` function in iptables 1.8.9 prints. Nil when the name,
/// revision or struct size is not one known here.
enum XTSaveText {
    /// `name` is what iptables prints after `-m` (an alias when the extension has one).
    struct Text: Sendable, Equatable {
        var name: String
        var options: String
    }

    static func match(name: String, revision: UInt32, info: [UInt8], family: Family, proto: UInt16?) -> Text? {
        let b = XTBytes(info)
        let options: String?
        switch (name, revision) {
        case ("recent", 0), ("recent", 1): options = recent(b, revision: revision, family: family)
        case ("bpf", 0), ("bpf", 1):
            // xt_bpf_info: count u16 @0, program @4; _v1: mode u16 @0, count u16 @2,
            // fd @4, program or pinned path @8. Each instruction: code u16, jt u8, jf u8, k u32.
            guard b.count == 528 else { return nil }
            let mode = revision == 1 ? b.u16(0) : 0
            if mode == 1 {
                options = " --object-pinned " + b.cString(8, max: 512)
            } else if mode == 0 {
                let n = Int(revision == 1 ? b.u16(2) : b.u16(0))
                let base = revision == 1 ? 8 : 4
                guard n <= 64 else { return nil }
                var t = " --bytecode \"\(n),"
                for i in 0..<n {
                    let o = base + 8 * i
                    t += "\(b.u16(o)) \(b.u8(o + 2)) \(b.u8(o + 3)) \(b.u32(o + 4))" + (i == n - 1 ? "\"" : ",")
                }
                options = t
            } else {
                return nil
            }
        case ("connmark", 1):
            // xt_connmark_mtinfo1: mark u32 @0, mask u32 @4, invert u8 @8 (16 bytes with padding).
            // libxt_connmark prints the mask only when it is not 0xffffffff.
            guard b.count == 16 else { return nil }
            let mark = b.u32(0)
            let mask = b.u32(4)
            options = (b.u8(8) != 0 ? " !" : "") + " --mark 0x" + String(mark, radix: 16)
                + (mask == 0xffff_ffff ? "" : "/0x" + String(mask, radix: 16))
        case ("u32", 0):
            guard b.count == 1984 else { return nil }
            options = u32(b)
        case ("osf", 0) where family == .ip:
            // genre[32] @0, len @32, flags @36 (ttl 2, log 4, invert 8), loglevel @40, ttl @44.
            guard b.count == 48 else { return nil }
            let flags = b.u32(36)
            var t = flags & 8 != 0 ? " !" : ""
            t += " --genre " + b.cString(0, max: 32)
            if flags & 2 != 0 { t += " --ttl \(b.u32(44))" }
            if flags & 4 != 0 { t += " --log \(b.u32(40))" }
            options = t
        case ("connlimit", 0), ("connlimit", 1):
            guard b.count == 32 else { return nil }
            let flags = b.u32(20)
            var t = flags & 1 != 0 ? " --connlimit-upto \(b.u32(16))" : " --connlimit-above \(b.u32(16))"
            // count_bits4/6: the mask's length up to its last set bit, per 32-bit word.
            var bits = 0
            for w in 0..<(family == .ip6 ? 4 : 1) {
                var inv = ~(UInt32(b.u8(4 * w)) << 24 | UInt32(b.u8(4 * w + 1)) << 16 | UInt32(b.u8(4 * w + 2)) << 8 | UInt32(b.u8(4 * w + 3)))
                var wb = 32
                while inv != 0 { wb -= 1; inv >>= 1 }
                bits += wb
            }
            t += " --connlimit-mask \(bits)"
            if revision >= 1 { t += flags & 2 != 0 ? " --connlimit-daddr" : " --connlimit-saddr" }
            options = t
        case ("length", 0):
            guard b.count == 8 else { return nil }
            options = (b.u8(4) != 0 ? " !" : "") + " --length " + range(UInt32(b.u16(0)), UInt32(b.u16(2)))
        case ("ah", 0) where family != .ip:  // ip6t_ah: spis[2], hdrlen u32 @8, hdrres u8 @12, invflags u8 @13
            guard b.count == 16 else { return nil }
            let lo = b.u32(0), hi = b.u32(4), inv = b.u8(13)
            var t = ""
            if !(lo == 0 && hi == UInt32.max) { t += (inv & 1 != 0 ? " !" : "") + " --ahspi " + range(lo, hi) }
            if b.u32(8) != 0 || inv & 2 != 0 { t += (inv & 2 != 0 ? " !" : "") + " --ahlen \(b.u32(8))" }
            if b.u8(12) != 0 { t += " --ahres" }
            options = t
        case ("esp", 0), ("ah", 0):  // xt_esp (both families) and ipt_ah: spis[2], invflags u8 @8
            guard b.count == 16 else { return nil }
            let lo = b.u32(0), hi = b.u32(4), inv = b.u8(8) & 1 != 0
            // iptables 1.8.9 leaves a full range out even when inverted.
            if lo == 0 && hi == UInt32.max { options = "" } else {
                options = (inv ? " !" : "") + (name == "esp" ? " --espspi " : " --ahspi ") + range(lo, hi)
            }
        case ("hashlimit", 2), ("hashlimit", 3):
            guard b.count == (revision == 3 ? 312 : 304) else { return nil }
            options = hashlimit(b, revision: revision, family: family)
        case ("connbytes", 0):  // from u64 @0, to u64 @8, what u8 @16, direction u8 @17
            guard b.count == 24 else { return nil }
            var from = b.u64(0), to = b.u64(8)
            var t = ""
            if from > to { t += " !"; swap(&from, &to) }
            t += " --connbytes \(from)"
            if to != 0 && to < UInt64.max { t += ":\(to)" }
            t += " --connbytes-mode " + (["packets", "bytes", "avgpkt"].indices.contains(Int(b.u8(16)))
                ? ["packets", "bytes", "avgpkt"][Int(b.u8(16))] : "unknown")
            t += " --connbytes-dir " + (["original", "reply", "both"].indices.contains(Int(b.u8(17)))
                ? ["original", "reply", "both"][Int(b.u8(17))] : "unknown")
            options = t
        case ("string", 0), ("string", 1):
            // from u16 @0, to u16 @2, algo[16] @4, pattern[128] @20, patlen u8 @148, invert/flags u8 @149.
            guard b.count == 160 else { return nil }
            let len = min(Int(b.u8(148)), 128)
            let pattern = b.slice(20, len)
            let invert = revision == 0 ? b.u8(149) != 0 : b.u8(149) & 1 != 0
            var t = invert ? " !" : ""
            if pattern.contains(where: { $0 < 0x20 || $0 > 0x7e }) || pattern.last == UInt8(ascii: "\\") {
                t += " --hex-string \"|" + pattern.map { hexByte($0, upper: false) }.joined() + "|\""
            } else {
                var q = ""
                for c in pattern {
                    if c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") { q += "\\" }
                    q.append(Character(Unicode.Scalar(c)))
                }
                t += " --string \"" + q + "\""
            }
            t += " --algo " + b.cString(4, max: 16)
            if b.u16(0) != 0 { t += " --from \(b.u16(0))" }
            if b.u16(2) != UInt16.max { t += " --to \(b.u16(2))" }
            if revision > 0, b.u8(149) & 2 != 0 { t += " --icase" }
            options = t
        case ("dccp", 0):  // dpts u16[2] @0, spts @4, flags u16 @8, invflags @10, typemask @12, option u8 @14
            guard b.count == 16 else { return nil }
            let flags = b.u16(8), inv = b.u16(10)
            var t = ports(b, flags: UInt32(flags), inv: UInt32(inv))
            if flags & 4 != 0 {
                t += (inv & 4 != 0 ? " !" : "") + " --dccp-types "
                let names = ["REQUEST", "RESPONSE", "DATA", "ACK", "DATAACK", "CLOSEREQ", "CLOSE", "RESET", "SYNC", "SYNCACK", "INVALID"]
                var parts: [String] = []
                var types = b.u16(12)
                while types != 0 {
                    let i = types.trailingZeroBitCount
                    parts.append(i < names.count ? names[i] : "")
                    if i == 10 { break }
                    types &= ~(1 << i)
                }
                t += parts.joined(separator: ",")
            }
            if flags & 8 != 0 { t += (inv & 8 != 0 ? " !" : "") + " --dccp-option \(b.u8(14))" }
            options = t
        case ("sctp", 0):
            // dpts u16[2] @0, spts @4, chunkmap u32[64] @8, chunk_match_type @264,
            // flag_info {type, flag, mask}[4] @268, flag_count @280, flags @284, invflags @288.
            guard b.count == 296 else { return nil }
            let flags = b.u32(284), inv = b.u32(288)
            var t = ports(b, flags: flags, inv: inv)
            if flags & 4 != 0 {
                t += (inv & 4 != 0 ? " !" : "") + " --chunk-types"
                switch b.u32(264) {
                case 1: t += " any"
                case 2: t += " all"
                case 4: t += " only"
                default: t += "Never reach here\n"
                }
                let words = (0..<64).map { b.u32(8 + 4 * $0) }
                if words.allSatisfy({ $0 == 0 }) {
                    t += " NONE"
                } else if words.allSatisfy({ $0 == UInt32.max }) {
                    t += " ALL"
                } else {
                    let names: [Int: (String, String)] = [
                        0: ("DATA", "----IUBE"), 1: ("INIT", ""), 2: ("INIT_ACK", ""), 3: ("SACK", ""), 4: ("HEARTBEAT", ""),
                        5: ("HEARTBEAT_ACK", ""), 6: ("ABORT", "-------T"), 7: ("SHUTDOWN", ""), 8: ("SHUTDOWN_ACK", ""),
                        9: ("ERROR", ""), 10: ("COOKIE_ECHO", ""), 11: ("COOKIE_ACK", ""), 12: ("ECN_ECNE", ""),
                        13: ("ECN_CWR", ""), 14: ("SHUTDOWN_COMPLETE", "-------T"), 64: ("I_DATA", "----IUBE"),
                        130: ("RE_CONFIG", ""), 132: ("PAD", ""), 193: ("ASCONF", ""), 128: ("ASCONF_ACK", ""),
                        192: ("FORWARD_TSN", ""), 194: ("I_FORWARD_TSN", ""),
                    ]
                    var parts: [String] = []
                    let count = max(0, min(Int(b.i32(280)), 4))
                    for i in 0..<256 where words[i / 32] & (1 << UInt32(i % 32)) != 0 {
                        var part = names[i]?.0 ?? ""
                        for j in 0..<count where Int(b.u8(268 + 3 * j)) == i {
                            let flag = b.u8(269 + 3 * j), mask = b.u8(270 + 3 * j)
                            guard mask != 0 else { continue }
                            part += ":"
                            let valid = Array(names[i]?.1 ?? "--------")
                            for bit in (0..<8).reversed() where mask & (1 << bit) != 0 {
                                let c = valid.count == 8 ? valid[7 - bit] : "-"
                                part += flag & (1 << bit) != 0 ? String(c) : c.lowercased()
                            }
                        }
                        parts.append(part)
                    }
                    t += " " + parts.joined(separator: ",")
                }
            }
            options = t
        case ("ecn", 0):  // operation u8 @0 (IP 1, ECE 0x10, CWR 0x20), invert @1, ip_ect @2
            guard b.count == 8 else { return nil }
            let op = b.u8(0), inv = b.u8(1)
            var t = ""
            if op & 0x10 != 0 { t += (inv & 0x10 != 0 ? " !" : "") + " --ecn-tcp-ece" }
            if op & 0x20 != 0 { t += (inv & 0x20 != 0 ? " !" : "") + " --ecn-tcp-cwr" }
            if op & 0x01 != 0 { t += (inv & 0x01 != 0 ? " !" : "") + " --ecn-ip-ect \(b.u8(2))" }
            options = t
        case ("physdev", 0):  // physindev[16] @0, in_mask @16, physoutdev @32, out_mask @48, invert @64, bitmask @65
            guard b.count == 72 else { return nil }
            let inv = b.u8(64), bits = b.u8(65)
            var t = ""
            // XT_PHYSDEV_OP_IN 1, OUT 2, BRIDGED 4, ISIN 8, ISOUT 0x10.
            if bits & 8 != 0 { t += (inv & 8 != 0 ? " !" : "") + " --physdev-is-in" }
            if bits & 1 != 0 { t += (inv & 1 != 0 ? " !" : "") + " --physdev-in " + b.cString(0, max: 16) }
            if bits & 0x10 != 0 { t += (inv & 0x10 != 0 ? " !" : "") + " --physdev-is-out" }
            if bits & 2 != 0 { t += (inv & 2 != 0 ? " !" : "") + " --physdev-out " + b.cString(32, max: 16) }
            if bits & 4 != 0 { t += (inv & 4 != 0 ? " !" : "") + " --physdev-is-bridged" }
            options = t
        case ("ipcomp", 0):  // spis u32[2], invflags u8 @8, hdrres u8 @9
            guard b.count == 16 else { return nil }
            let lo = b.u32(0), hi = b.u32(4)
            var t = ""
            if !(lo == 0 && hi == UInt32.max) { t += (b.u8(8) & 1 != 0 ? " !" : "") + " --ipcompspi " + range(lo, hi) }
            if b.u8(9) != 0 { t += " --compres" }
            options = t
        case ("frag", 0) where family == .ip6:  // ids u32[2], hdrlen u32 @8, flags u8 @12, invflags u8 @13
            guard b.count == 16 else { return nil }
            let lo = b.u32(0), hi = b.u32(4), flags = b.u8(12), inv = b.u8(13)
            var t = ""
            if !(lo == 0 && hi == UInt32.max) { t += (inv & 1 != 0 ? " !" : "") + " --fragid " + range(lo, hi) }
            if flags & 2 != 0 { t += (inv & 2 != 0 ? " !" : "") + " --fraglen \(b.u32(8))" }
            if flags & 4 != 0 { t += " --fragres" }
            if flags & 8 != 0 { t += " --fragfirst" }
            if flags & 0x10 != 0 { t += " --fragmore" }
            if flags & 0x20 != 0 { t += " --fraglast" }
            options = t
        case ("time", 0):
            // date_start u32, date_stop, daytime_start, daytime_stop, monthdays u32, weekdays u8 @20, flags u8 @21.
            guard b.count == 24 else { return nil }
            var t = ""
            let start = b.u32(8), stop = b.u32(12)
            func hms(_ v: UInt32) -> String {
                [v / 3600, v / 60 % 60, v % 60].map { $0 < 10 ? "0\($0)" : "\($0)" }.joined(separator: ":")
            }
            if start != 0 || stop != 86399 { t += " --timestart " + hms(start) + " --timestop " + hms(stop) }
            let month = b.u32(16)
            if month != 0xFFFF_FFFE {
                t += " --monthdays " + (1...31).filter { month & (1 << UInt32($0)) != 0 }.map(String.init).joined(separator: ",")
            }
            let week = b.u8(20)
            if week != 0xFE {
                let names = ["", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
                t += " --weekdays " + (1...7).filter { week & (1 << UInt8($0)) != 0 }.map { names[$0] }.joined(separator: ",")
            }
            // iptables 1.8.9 skips only 0, so the default stop (INT_MAX) prints as 2038-01-19T03:14:07.
            for (at, opt) in [(0, "--datestart"), (4, "--datestop")] where b.u32(at) != 0 {
                t += " \(opt) " + isoDate(UInt64(b.u32(at)))
            }
            if b.u8(21) & 1 != 0 { t += " --kerneltz" }
            if b.u8(21) & 2 != 0 { t += " --contiguous" }
            options = t
        case ("mh", 0) where family == .ip6:  // types u8[2], invflags u8
            guard b.count == 8 else { return nil }
            let lo = b.u8(0), hi = b.u8(1), inv = b.u8(2) & 1 != 0
            if lo == 0 && hi == UInt8.max { options = "" } else {  // 1.8.9: a full range is left out, even inverted
                options = (inv ? " !" : "") + " --mh-type " + range(UInt32(lo), UInt32(hi))
            }
        case ("hbh", 0) where family == .ip6, ("dst", 0) where family == .ip6:
            // ip6t_opts: hdrlen u32, flags u8 @4 (LEN 1, OPTS 2), invflags @5, opts u16[16] @6, optsnr u8 @38.
            guard b.count == 40 else { return nil }
            let flags = b.u8(4)
            var t = ""
            if flags & 1 != 0 { t += (b.u8(5) & 1 != 0 ? " !" : "") + " --\(name)-len \(b.u32(0))" }
            if flags & 2 != 0 { t += " --\(name)-opts" }
            for i in 0..<min(Int(b.u8(38)), 16) {
                let o = b.u16(6 + 2 * i)
                t += (i == 0 ? " " : ",") + "\(o >> 8)" + (o & 0xff != 0xff ? ":\(o & 0xff)" : "")
            }
            options = t
        case ("rt", 0) where family == .ip6:
            // ip6t_rt: rt_type u32, segsleft u32[2] @4, hdrlen @12, flags u8 @16, invflags @17, addrs @18, addrnr @274.
            guard b.count == 280, b.u8(274) == 0 else { return nil }
            let flags = b.u8(16), inv = b.u8(17)
            var t = ""
            if flags & 1 != 0 { t += (inv & 1 != 0 ? " !" : "") + " --rt-type \(b.u32(0))" }
            let lo = b.u32(4), hi = b.u32(8)
            if !(lo == 0 && hi == UInt32.max) {
                t += (inv & 2 != 0 ? " !" : "") + " --rt-segsleft " + range(lo, hi)
            }
            if flags & 4 != 0 { t += (inv & 4 != 0 ? " !" : "") + " --rt-len \(b.u32(12))" }
            if flags & 8 != 0 { t += " --rt-0-res" }
            if flags & 0x10 != 0 { t += " --rt-0-addrs" }
            if flags & 0x20 != 0 { t += " --rt-0-not-strict" }
            options = t
        case ("ipv6header", 0) where family == .ip6:  // matchflags u8, invflags u8, modeflag u8
            guard b.count == 8 else { return nil }
            let order: [(UInt8, UInt16)] = [(128, 0), (64, 60), (32, 43), (16, 44), (8, 51), (4, 50), (2, 59), (1, 255)]
            let names = order.filter { b.u8(0) & $0.0 != 0 }.map { (_, proto) -> String in
                proto == 0 ? "hop-by-hop" : (IptablesSaveFormat.protocolNames[proto] ?? "protocol")
            }
            options = (b.u8(1) != 0 ? " !" : "") + " --header " + (names.isEmpty ? "NONE" : names.joined(separator: ","))
                + (b.u8(2) != 0 ? " --soft" : "")
        case ("policy", 0):
            // xt_policy_info: pol[4] of 76 bytes (saddr, smask, daddr, dmask 16 each; spi u32 @64,
            // reqid @68, proto u8 @72, mode @73, match bits @74, invert bits @75), flags u16 @304, len @306.
            guard b.count == 312 else { return nil }
            let flags = b.u16(304)
            var t = flags & 1 != 0 ? " --dir in" : " --dir out"
            t += flags & 4 != 0 ? " --pol none" : " --pol ipsec"
            if flags & 8 != 0 { t += " --strict" }
            let n = family == .ip6 ? 16 : 4
            func addr(_ at: Int, _ maskAt: Int) -> String {
                let mask = b.slice(maskAt, n)
                let full = mask.allSatisfy { $0 == 0xff }
                return IptablesSaveFormat.addressText(b.slice(at, n)) + (full ? "" : IptablesSaveFormat.maskText(mask))
            }
            let count = min(Int(b.u16(306)), 4)
            for i in 0..<count {
                let e = 76 * i
                let match = b.u8(e + 74), inv = b.u8(e + 75)
                func not(_ bit: UInt8) -> String { inv & bit != 0 ? " !" : "" }
                if match & 0x20 != 0 { t += not(0x20) + " --reqid \(b.u32(e + 68))" }
                if match & 0x10 != 0 { t += not(0x10) + " --spi 0x" + String(b.u32(e + 64), radix: 16) }
                if match & 0x04 != 0 { t += not(0x04) + " --proto " + IptablesSaveFormat.protocolName(UInt16(b.u8(e + 72))) }
                if match & 0x08 != 0 {
                    t += not(0x08) + " --mode " + (b.u8(e + 73) == 0 ? "transport" : b.u8(e + 73) == 1 ? "tunnel" : "???")
                }
                if match & 0x02 != 0 { t += not(0x02) + " --tunnel-dst " + addr(e + 32, e + 48) }
                if match & 0x01 != 0 { t += not(0x01) + " --tunnel-src " + addr(e, e + 16) }
                if i + 1 < count { t += " --next" }
            }
            options = t
        case ("srh", 1) where family == .ip6:
            // ip6t_srh1: next_hdr, hdr_len, segs_left, last_entry (u8 @0…3), tag u16 @4, psid/nsid/lsid
            // addresses (4-byte aligned) @8/24/40, their masks 48 bytes later, mt_flags u16 @104, mt_invflags @106.
            guard b.count == 112 else { return nil }
            let flags = b.u16(104), inv = b.u16(106)
            let fields: [(UInt16, String, UInt32)] = [
                (0x1, "--srh-next-hdr", UInt32(b.u8(0))), (0x2, "--srh-hdr-len-eq", UInt32(b.u8(1))),
                (0x4, "--srh-hdr-len-gt", UInt32(b.u8(1))), (0x8, "--srh-hdr-len-lt", UInt32(b.u8(1))),
                (0x10, "--srh-segs-left-eq", UInt32(b.u8(2))), (0x20, "--srh-segs-left-gt", UInt32(b.u8(2))),
                (0x40, "--srh-segs-left-lt", UInt32(b.u8(2))), (0x80, "--srh-last-entry-eq", UInt32(b.u8(3))),
                (0x100, "--srh-last-entry-gt", UInt32(b.u8(3))), (0x200, "--srh-last-entry-lt", UInt32(b.u8(3))),
                (0x400, "--srh-tag", UInt32(b.u16(4))),
            ]
            var t = ""
            for (bit, opt, value) in fields where flags & bit != 0 { t += (inv & bit != 0 ? " !" : "") + " \(opt) \(value)" }
            for (bit, opt, at) in [(UInt16(0x800), "--srh-psid", 8), (0x1000, "--srh-nsid", 24), (0x2000, "--srh-lsid", 40)]
            where flags & bit != 0 {
                let bits = IptablesSaveFormat.prefixLength(b.slice(at + 48, 16)).map(String.init) ?? "4294967295"
                t += (inv & bit != 0 ? " !" : "") + " \(opt) " + IptablesSaveFormat.addressText(b.slice(at, 16)) + "/" + bits
            }
            options = t
        case ("cpu", 0):  // cpu u32, invert u32
            guard b.count == 8 else { return nil }
            options = (b.u32(4) != 0 ? " !" : "") + " --cpu \(b.u32(0))"
        case ("connlabel", 0):
            // bit u16, options u16 (INVERT 1, SET 2). iptables would print a name from the
            // host's connlabel.conf when one is configured; hostaudit prints the number.
            guard b.count == 8 else { return nil }
            options = (b.u16(2) & 1 != 0 ? " !" : "") + " --label \"\(b.u16(0))\"" + (b.u16(2) & 2 != 0 ? " --set" : "")
        case ("ttl", 0) where family == .ip, ("hl", 0) where family == .ip6:
            guard b.count == 8 else { return nil }
            let ops = name == "ttl"
                ? ["--ttl-eq", "! --ttl-eq", "--ttl-lt", "--ttl-gt"] : ["--hl-eq", "! --hl-eq", "--hl-lt", "--hl-gt"]
            guard Int(b.u8(0)) < ops.count else { return nil }
            options = " \(ops[Int(b.u8(0))]) \(b.u8(1))"
        case ("iprange", 1):
            guard b.count == 72 else { return nil }
            let flags = b.u8(64)
            let n = family == .ip6 ? 16 : 4
            var t = ""
            for (bit, inv, opt, at) in [(UInt8(1), UInt8(0x10), "--src-range", 0), (2, 0x20, "--dst-range", 32)]
            where flags & bit != 0 {
                if flags & inv != 0 { t += " !" }
                t += " \(opt) " + IptablesSaveFormat.addressText(b.slice(at, n)) + "-"
                    + IptablesSaveFormat.addressText(b.slice(at + 16, n))
            }
            options = t
        case ("pkttype", 0):
            guard b.count == 8 else { return nil }
            let names: [Int32: String] = [0: "unicast", 1: "broadcast", 2: "multicast", 3: "otherhost"]
            options = (b.i32(4) != 0 ? " !" : "") + " --pkt-type " + (names[b.i32(0)] ?? String(b.i32(0)))
        case ("tcpmss", 0):
            guard b.count == 8 else { return nil }
            options = (b.u8(4) != 0 ? " !" : "") + " --mss " + range(UInt32(b.u16(0)), UInt32(b.u16(2)))
        case ("tos", 0) where family == .ip:
            guard b.count == 8 else { return nil }
            options = (b.u8(1) != 0 ? " !" : "") + " --tos " + hex2(b.u8(0))
        case ("tos", 1):
            guard b.count == 8 else { return nil }
            options = (b.u8(2) != 0 ? " !" : "") + " --tos " + hex2(b.u8(1)) + "/" + hex2(b.u8(0))
        case ("dscp", 0):
            guard b.count == 8 else { return nil }
            options = (b.u8(1) != 0 ? " !" : "") + " --dscp " + hex2(b.u8(0))
        case ("helper", 0):
            guard b.count == 40 else { return nil }
            options = (b.i32(0) != 0 ? " !" : "") + " --helper" + IptablesSaveFormat.quoted(b.cString(4, max: 30))
        case ("mac", 0):
            guard b.count == 16 else { return nil }
            let mac = (0..<6).map { hexByte(b.u8($0), upper: false) }.joined(separator: ":")
            options = (b.i32(8) != 0 ? " !" : "") + " --mac-source " + mac
        case ("realm", 0) where family == .ip:
            guard b.count == 16 else { return nil }
            let id = b.u32(0), mask = b.u32(4)
            options = (b.u8(8) != 0 ? " !" : "") + " --realm"
                + (mask != UInt32.max ? " 0x\(String(id, radix: 16))/0x\(String(mask, radix: 16))" : " 0x\(String(id, radix: 16))")
        case ("quota", 0):
            guard b.count == 24 else { return nil }
            options = (b.u32(0) & 1 != 0 ? " !" : "") + " --quota \(b.u64(8))"
        case ("devgroup", 0):
            // xt_devgroup_info: flags u32 (MATCH_SRC 1, INVERT_SRC 2, MATCH_DST 4, INVERT_DST 8),
            // src_group @4, src_mask @8, dst_group @12, dst_mask @16; 24 bytes aligned.
            guard b.count == 24 else { return nil }
            let flags = b.u32(0)
            var t = ""
            if flags & 1 != 0 { t += (flags & 2 != 0 ? " !" : "") + " --src-group" + devgroup(b.u32(4), mask: b.u32(8)) }
            if flags & 4 != 0 { t += (flags & 8 != 0 ? " !" : "") + " --dst-group" + devgroup(b.u32(12), mask: b.u32(16)) }
            options = t
        case ("eui64", 0) where family == .ip6:
            options = b.count == 8 ? "" : nil
        case ("rpfilter", 0):  // flags u8: LOOSE 1, VALID_MARK 2, ACCEPT_LOCAL 4, INVERT 8
            guard b.count == 8 else { return nil }
            let flags = b.u8(0)
            var t = flags & 1 != 0 ? " --loose" : ""
            if flags & 2 != 0 { t += " --validmark" }
            if flags & 4 != 0 { t += " --accept-local" }
            if flags & 8 != 0 { t += " --invert" }
            options = t
        case ("cluster", 0):  // total_nodes u32, node_mask u32 @4, hash_seed u32 @8, flags u32 @12 (INVERT 1)
            guard b.count == 16 else { return nil }
            func hex8(_ v: UInt32) -> String { let h = String(v, radix: 16); return "0x" + String(repeating: "0", count: max(0, 8 - h.count)) + h }
            options = (b.u32(12) & 1 != 0 ? " !" : "") + " --cluster-local-nodemask " + hex8(b.u32(4))
                + " --cluster-total-nodes \(b.u32(0)) --cluster-hash-seed " + hex8(b.u32(8))
        case ("socket", 0):
            options = b.count == 0 ? "" : nil
        case ("socket", 1), ("socket", 2), ("socket", 3):
            // xt_socket_mtinfo1/2/3: flags u8 (TRANSPARENT 1, NOWILDCARD 2, RESTORESKMARK 4);
            // each revision prints only the options it defines.
            guard b.count == 8 else { return nil }
            let flags = b.u8(0)
            var t = flags & 1 != 0 ? " --transparent" : ""
            if revision >= 2, flags & 2 != 0 { t += " --nowildcard" }
            if revision >= 3, flags & 4 != 0 { t += " --restore-skmark" }
            options = t
        case ("cgroup", 0):  // xt_cgroup_info_v0: id u32, invert u32
            guard b.count == 8 else { return nil }
            options = (b.u32(4) != 0 ? " !" : "") + " --cgroup \(b.u32(0))"
        case ("cgroup", 1), ("cgroup", 2):
            // has_path u8, has_classid u8, invert_path u8, invert_classid u8, then
            // rev 1: path[4096] @4, classid u32 @4100 (4112 bytes with the kernel's pointer);
            // rev 2: path[512] and classid share @4 (528 bytes).
            guard b.count == (revision == 1 ? 4112 : 528) else { return nil }
            var t = ""
            if b.u8(0) != 0 {
                t += (b.u8(2) != 0 ? " !" : "") + " --path" + IptablesSaveFormat.quoted(b.cString(4, max: revision == 1 ? 4096 : 512))
            }
            if b.u8(1) != 0 { t += (b.u8(3) != 0 ? " !" : "") + " --cgroup \(b.u32(revision == 1 ? 4100 : 4))" }
            options = t
        default: options = nil
        }
        return options.map { Text(name: name, options: $0) }
    }

    /// `xt_recent_mtinfo` (rev 0, 216 bytes) / `_v1` (232, adds the mask):
    /// seconds u32 @0, hit_count u32 @4, check_set u8 @8, invert u8 @9,
    /// name[200] @10, side u8 @210, mask @212. ufw's `limit` rules use it.
    /// `u32_save`: tests joined by `&&`, each `location=values` in hex.
    /// xt_u32: 11 tests of 180 bytes (11 locations {number u32, op u8} of 8 bytes,
    /// 11 values {min, max}, nnums u8 @176, nvalues u8 @177), ntests u8 @1980, invert u8 @1981.
    static func u32(_ b: XTBytes) -> String? {
        let ntests = Int(b.u8(1980))
        guard ntests <= 11 else { return nil }
        var t = b.u8(1981) != 0 ? " ! --u32 \"" : " --u32 \""
        func hex(_ v: UInt32) -> String { "0x" + String(v, radix: 16) }
        for i in 0..<ntests {
            let o = 180 * i
            let nnums = Int(b.u8(o + 176)), nvalues = Int(b.u8(o + 177))
            guard nnums >= 1, nnums <= 11, nvalues <= 11 else { return nil }
            if i > 0 { t += "&&" }
            t += hex(b.u32(o))
            for j in 1..<nnums {
                let ops = ["&", "<<", ">>", "@"]
                let op = Int(b.u8(o + 8 * j + 4))
                if op < ops.count { t += ops[op] }
                t += hex(b.u32(o + 8 * j))
            }
            t += "="
            for j in 0..<nvalues {
                if j > 0 { t += "," }
                let lo = b.u32(o + 88 + 8 * j), hi = b.u32(o + 88 + 8 * j + 4)
                t += lo == hi ? hex(lo) : hex(lo) + ":" + hex(hi)
            }
        }
        return t + "\""
    }

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

    static func target(name: String, revision: UInt32, info: [UInt8], family: Family, proto: UInt16?) -> Text? {
        let b = XTBytes(info)
        let options: String?
        switch (name, revision) {
        case ("TRACE", 0): options = b.count == 0 ? "" : nil
        case ("RATEEST", 0):
            // name[16] @0, interval s8 @16, ewma_log u8 @17; microseconds as libxt_RATEEST prints them.
            guard b.count == 32 else { return nil }
            let shift = Int(Int8(bitPattern: b.u8(16))) + 2
            guard shift >= 0, shift < 32, b.u8(17) < 32 else { return nil }
            let interval = UInt32(truncatingIfNeeded: UInt64(1_000_000) << UInt64(shift)) / 4
            let ewma = interval &* (UInt32(1) << UInt32(b.u8(17)))
            func time(_ t: UInt32) -> String {
                let d = Double(t)
                if d >= 1_000_000 { return String(format: "%.1fs", d / 1_000_000) }
                if d >= 1000 { return String(format: "%.1fms", d / 1000) }
                return "\(t)us"
            }
            options = " --rateest-name " + b.cString(0, max: 16) + " --rateest-interval " + time(interval)
                + " --rateest-ewmalog " + time(ewma)
        case ("NFLOG", 0):
            // The kernel's xt_nflog_info (80 bytes, prefix[64]) or the form
            // read back from a native `log group` (prefix[128]).
            guard b.count == 80 || b.count == 140 else { return nil }
            var t = ""
            let prefix = b.cString(12, max: b.count - 12)
            if !prefix.isEmpty { t += " --nflog-prefix" + IptablesSaveFormat.quoted(prefix) }
            if b.u16(4) != 0 { t += " --nflog-group \(b.u16(4))" }
            if b.u16(8) & 1 != 0 { t += " --nflog-size \(b.u32(0))" } else if b.u32(0) != 0 { t += " --nflog-range \(b.u32(0))" }
            if b.u16(6) != 0 { t += " --nflog-threshold \(b.u16(6))" }
            options = t
        case ("NFQUEUE", 0):
            guard b.count == 8 else { return nil }
            options = " --queue-num \(b.u16(0))"
        case ("NFQUEUE", 1), ("NFQUEUE", 2), ("NFQUEUE", 3):
            guard b.count == 8 else { return nil }
            let num = UInt32(b.u16(0)), total = UInt32(b.u16(2))
            var t = total > 1 ? " --queue-balance \(num):\(total + num - 1)" : " --queue-num \(num)"
            if revision >= 2, b.u16(4) & 1 != 0 { t += " --queue-bypass" }
            if revision >= 3, b.u16(4) & 2 != 0 { t += " --queue-cpu-fanout" }
            options = t
        case ("AUDIT", 0):
            guard b.count == 8 else { return nil }
            options = [" --type accept", " --type drop", " --type reject"].indices.contains(Int(b.u8(0)))
                ? [" --type accept", " --type drop", " --type reject"][Int(b.u8(0))] : ""
        case ("TCPMSS", 0):
            guard b.count == 8 else { return nil }
            options = b.u16(0) == 0xffff ? " --clamp-mss-to-pmtu" : " --set-mss \(b.u16(0))"
        case ("TOS", 0) where family == .ip:
            guard b.count == 8 else { return nil }
            options = " --set-tos " + hex2(b.u8(0))
        case ("TOS", 1):
            guard b.count == 8 else { return nil }
            options = " --set-tos " + hex2(b.u8(0)) + "/" + hex2(b.u8(1))
        case ("CHECKSUM", 0):
            guard b.count == 8 else { return nil }
            options = b.u8(0) & 1 != 0 ? " --checksum-fill" : ""
        case ("SYNPROXY", 0):  // options u8 (MSS 1, WSCALE 2, SACK_PERM 4, TIMESTAMP 8, ECN 0x10), wscale u8, mss u16
            guard b.count == 8 else { return nil }
            let o = b.u8(0)
            var t = ""
            if o & 4 != 0 { t += " --sack-perm" }
            if o & 8 != 0 { t += " --timestamp" }
            if o & 2 != 0 { t += " --wscale \(b.u8(1))" }
            if o & 1 != 0 { t += " --mss \(b.u16(2))" }
            if o & 0x10 != 0 { t += " --ecn" }
            options = t
        case ("CT", 1), ("CT", 2):
            // xt_ct_target_info_v1: flags u16, zone u16, ct_events u32 @4, exp_events u32 @8,
            // helper[16] @12, timeout[32] @28. Flags: NOTRACK 1, NOTRACK_ALIAS 2, ZONE_DIR_ORIG 4,
            // ZONE_DIR_REPLY 8, ZONE_MARK 0x10. Zones (last) only for revision 2, the one iptables
            // 1.8.9 writes; a revision-1 zone is left to the undecoded form.
            guard b.count == 72 else { return nil }
            let flags = b.u16(0)
            if flags & 2 != 0 { return Text(name: "NOTRACK", options: "") }
            guard revision == 2 || (flags & 0x1c == 0 && b.u16(2) == 0) else { return nil }
            var t = flags & 1 != 0 ? " --notrack" : ""
            let helper = b.cString(12, max: 16), timeout = b.cString(28, max: 32)
            if !helper.isEmpty { t += " --helper " + helper }
            if !timeout.isEmpty { t += " --timeout " + timeout }
            let events = ["new", "related", "destroy", "reply", "assured", "protoinfo", "helper", "mark", "natseqinfo", "secmark"]
            if b.u32(4) != 0 {
                t += " --ctevents " + events.indices.filter { b.u32(4) & (1 << UInt32($0)) != 0 }.map { events[$0] }
                    .joined(separator: ",")
            }
            if b.u32(8) != 0 { t += " --expevents " + (b.u32(8) & 1 != 0 ? "new" : "") }
            let dir = flags & 0xc == 4 ? "-orig" : flags & 0xc == 8 ? "-reply" : ""
            if flags & 0x10 != 0 { t += " --zone\(dir) mark" } else if b.u16(2) != 0 { t += " --zone\(dir) \(b.u16(2))" }
            options = t
        case ("HMARK", 0):
            // xt_hmark_info: src_mask @0, dst_mask @16, port_mask @32, port_set @36, flags u32 @40,
            // proto_mask u16 @44, hashrnd u32 @48, hmodulus @52, hoffset @56.
            guard b.count == 64 else { return nil }
            let f = b.u32(40)
            func has(_ bit: UInt32) -> Bool { f & (1 << bit) != 0 }
            func hex(_ v: UInt64, _ digits: Int) -> String {
                let h = String(v, radix: 16)
                return "0x" + String(repeating: "0", count: max(0, digits - h.count)) + h
            }
            func be32(_ at: Int) -> UInt64 { UInt64(b.be16(at)) << 16 | UInt64(b.be16(at + 2)) }
            let n = family == .ip6 ? 16 : 4
            var t = ""
            if has(0) { t += " --hmark-src-prefix " + (IptablesSaveFormat.prefixLength(b.slice(0, n)).map(String.init) ?? "-1") }
            if has(1) { t += " --hmark-dst-prefix " + (IptablesSaveFormat.prefixLength(b.slice(16, n)).map(String.init) ?? "-1") }
            if has(6) { t += " --hmark-sport-mask " + hex(UInt64(b.be16(32)), 4) }
            if has(7) { t += " --hmark-dport-mask " + hex(UInt64(b.be16(34)), 4) }
            if has(3) { t += " --hmark-spi-mask " + hex(be32(32), 8) }
            if has(4) { t += " --hmark-sport " + hex(UInt64(b.be16(36)), 4) }
            if has(5) { t += " --hmark-dport " + hex(UInt64(b.be16(38)), 4) }
            if has(2) { t += " --hmark-spi " + hex(be32(36), 8) }
            if has(8) { t += " --hmark-proto-mask " + hex(UInt64(b.u16(44)), 2) }
            if has(9) { t += " --hmark-rnd " + hex(UInt64(b.u32(48)), 8) }
            if has(10) { t += " --hmark-mod \(b.u32(52))" }
            if has(11) { t += " --hmark-offset \(b.u32(56))" }
            if has(12) { t += " --hmark-tuple ct" }
            options = t
        case ("IDLETIMER", 0), ("IDLETIMER", 1):  // timeout u32, label[28] @4; rev 1: send_nl_msg @32, timer_type @33
            guard b.count == (revision == 0 ? 40 : 48) else { return nil }
            var t = " --timeout \(b.u32(0)) --label " + b.cString(4, max: 28)
            if revision == 1 {
                if b.u8(33) == 1 { t += " --alarm" }
                if b.u8(32) != 0 { t += " --send_nl_msg" }
            }
            options = t
        case ("TEE", 1):  // gw (nf_inet_addr) @0, oif[16] @16
            guard b.count == 40 else { return nil }
            let oif = b.cString(16, max: 16)
            options = " --gateway " + IptablesSaveFormat.addressText(b.slice(0, family == .ip6 ? 16 : 4))
                + (oif.isEmpty ? "" : " --oif " + oif)
        case ("CLASSIFY", 0):  // priority u32: major in the high 16 bits
            guard b.count == 8 else { return nil }
            func hex4(_ v: UInt32) -> String { let h = String(v, radix: 16); return String(repeating: "0", count: max(0, 4 - h.count)) + h }
            options = " --set-class " + hex4(b.u32(0) >> 16) + ":" + hex4(b.u32(0) & 0xffff)
        case ("CONNSECMARK", 0):  // mode u8: SAVE 1, RESTORE 2
            guard b.count == 8 else { return nil }
            switch b.u8(0) {
            case 1: options = " --save"
            case 2: options = " --restore"
            default: return nil
            }
        case ("CONNMARK", 2):
            // xt_connmark_tginfo2: ctmark u32, ctmask u32 @4, nfmask u32 @8, shift_dir u8 @12,
            // shift_bits u8 @13, mode u8 @14 (SET 0, SAVE 1, RESTORE 2).
            guard b.count == 16 else { return nil }
            func hex(_ v: UInt32) -> String { "0x" + String(v, radix: 16) }
            var t: String
            switch b.u8(14) {
            case 0: t = " --set-xmark " + hex(b.u32(0)) + "/" + hex(b.u32(4))
            case 1: t = " --save-mark --nfmask " + hex(b.u32(8)) + " --ctmask " + hex(b.u32(4))
            case 2: t = " --restore-mark --nfmask " + hex(b.u32(8)) + " --ctmask " + hex(b.u32(4))
            default: return nil
            }
            if b.u8(13) != 0 { t += (b.u8(12) != 0 ? " --right-shift-mark " : " --left-shift-mark ") + "\(b.u8(13))" }
            options = t
        case ("TPROXY", 1):
            // xt_tproxy_target_info_v1: mark_mask u32, mark_value u32 @4, laddr @8, lport (network order) @24.
            guard b.count == 32 else { return nil }
            options = " --on-port \(b.be16(24)) --on-ip " + IptablesSaveFormat.addressText(b.slice(8, family == .ip6 ? 16 : 4))
                + " --tproxy-mark 0x" + String(b.u32(4), radix: 16) + "/0x" + String(b.u32(0), radix: 16)
        case ("TCPOPTSTRIP", 0):  // strip_bmap u32[8]: bit n strips TCP option kind n; numbers as iptables-save prints them
            guard b.count == 32 else { return nil }
            let kinds = (0..<256).filter { b.u32(4 * ($0 / 32)) & (1 << UInt32($0 % 32)) != 0 }
            options = kinds.isEmpty ? "" : " --strip-options " + kinds.map(String.init).joined(separator: ",")
        case ("NETMAP", 0) where family == .ip:
            // nf_nat_ipv4_multi_range_compat: rangesize u32, range[0] {flags u32 @4, min_ip @8, max_ip @12, ports @16}.
            guard b.count == 24, b.u32(0) == 1 else { return nil }
            let lo = b.slice(8, 4), hi = b.slice(12, 4)
            options = " --to " + IptablesSaveFormat.addressText(lo) + IptablesSaveFormat.maskText(zip(lo, hi).map { ~($0 ^ $1) })
        case ("NETMAP", 0) where family == .ip6:
            // nf_nat_range: flags u32, min_addr @4, max_addr @20, min_proto u16 @36, max_proto @38.
            guard b.count == 40 else { return nil }
            let lo = b.slice(4, 16), hi = b.slice(20, 16)
            options = " --to " + IptablesSaveFormat.addressText(lo) + IptablesSaveFormat.maskText(zip(lo, hi).map { ~($0 ^ $1) })
        case ("DNPT", 0) where family == .ip6, ("SNPT", 0) where family == .ip6:
            // ip6t_npt_tginfo: src_pfx @0, dst_pfx @16, src_pfx_len u8 @32, dst_pfx_len u8 @33.
            // A prefix ::/0 is left out. Only forms whose address and length are both zero or
            // both set are printed (the others were not seen loaded; they stay undecoded).
            guard b.count == 40 else { return nil }
            var t = ""
            for (opt, at, lenAt) in [(" --src-pfx ", 0, 32), (" --dst-pfx ", 16, 33)] {
                let addr = b.slice(at, 16), len = b.u8(lenAt)
                let zero = addr.allSatisfy { $0 == 0 }
                if zero && len == 0 { continue }
                guard !zero, len > 0 else { return nil }
                t += opt + IptablesSaveFormat.addressText(addr) + "/\(len)"
            }
            options = t
        case ("ECN", 0) where family == .ip:
            // ipt_ECN_info: operation u8 (SET_IP 1, SET_ECE 0x10, SET_CWR 0x20), ip_ect u8 @1,
            // then the bit-fields ece (bit 0) and cwr (bit 1) in the byte @2.
            guard b.count == 8 else { return nil }
            let op = b.u8(0), ece = b.u8(2) & 1, cwr = b.u8(2) >> 1 & 1
            if op == 0x30 && ece == 0 && cwr == 0 {
                options = " --ecn-tcp-remove"
            } else {
                var t = ""
                if op & 0x10 != 0 { t += " --ecn-tcp-ece \(ece)" }
                if op & 0x20 != 0 { t += " --ecn-tcp-cwr \(cwr)" }
                if op & 0x01 != 0 { t += " --ecn-ip-ect \(b.u8(1))" }
                options = t
            }
        case ("TTL", 0) where family == .ip, ("HL", 0) where family == .ip6:
            // ipt_TTL_info / ip6t_HL_info: mode u8 (SET 0, INC 1, DEC 2), value u8.
            guard b.count == 8, b.u8(0) <= 2 else { return nil }
            let prefix = name == "TTL" ? " --ttl-" : " --hl-"
            options = prefix + ["set", "inc", "dec"][Int(b.u8(0))] + " \(b.u8(1))"
        case ("DSCP", 0):
            guard b.count == 8 else { return nil }
            options = " --set-dscp " + hex2(b.u8(0))
        default: options = nil
        }
        return options.map { Text(name: name, options: $0) }
    }

    /// `xt_hashlimit_mtinfo2/3`: name[255] @0, then the config at 256: avg u64,
    /// burst u64, mode u32 @272, size, max, gc_interval, expire (@276…288);
    /// rev 3 adds interval u32 @292, masks u8 @296/297 (rev 2: @292/293).
    static func hashlimit(_ b: XTBytes, revision: UInt32, family: Family) -> String {
        let avg = b.u64(256), burst = b.u64(264), mode = b.u32(272)
        var s = mode & 0x10 != 0 ? " --hashlimit-above" : " --hashlimit-upto"
        var quantum: UInt64
        if mode & 0x20 != 0 {
            // Bytes: cost_to_bytes / bytes_to_cost with XT_HASHLIMIT_BYTE_SHIFT 4.
            func costToBytes(_ c: UInt64) -> UInt64 { ((c != 0 ? UInt64(UInt32.max) / c : UInt64(UInt32.max)) &- 1) << 4 }
            func bytesToCost(_ v: UInt64) -> UInt64 { UInt64(UInt32.max) / (UInt64(UInt32(truncatingIfNeeded: v >> 4)) + 1) }
            let units: [(String, UInt64)] = [("m", 1024 * 1024), ("k", 1024), ("", 1)]
            var r = costToBytes(avg)
            var i = 0
            while i < units.count - 1 {
                if r >= units[i].1 && bytesToCost(r & ~(units[i].1 - 1)) == avg { break }
                i += 1
            }
            s += " \(r / units[i].1)\(units[i].0)b/s"
            if burst == 0 {
                quantum = 15 * 1000
            } else {
                r = r &* burst
                i = 0
                while i < units.count - 1 { if r >= units[i].1 { break }; i += 1 }
                s += " --hashlimit-burst \(r / units[i].1)\(units[i].0)b"
                quantum = 60 * 1000
            }
        } else {
            let scale: UInt64 = 1_000_000
            let rates: [(String, UInt64)] = [("day", scale * 86400), ("hour", scale * 3600), ("min", scale * 60), ("sec", scale)]
            if avg == 0 {
                s += " inf"
                quantum = 0
            } else {
                var i = 1
                while i < rates.count {
                    if avg > rates[i].1 || rates[i].1 / avg < rates[i].1 % avg { break }
                    i += 1
                }
                s += " \(rates[i - 1].1 / avg)/\(rates[i - 1].0)"
                quantum = rates[i - 1].1 / scale * 1000
            }
            s += " --hashlimit-burst \(burst)"
        }
        if mode & 0xf != 0 {
            var parts: [String] = []
            if mode & 4 != 0 { parts.append("srcip") }
            if mode & 8 != 0 { parts.append("srcport") }
            if mode & 1 != 0 { parts.append("dstip") }
            if mode & 2 != 0 { parts.append("dstport") }
            s += " --hashlimit-mode " + parts.joined(separator: ",")
        }
        s += " --hashlimit-name " + b.cString(0, max: 255)
        if b.u32(276) != 0 { s += " --hashlimit-htable-size \(b.u32(276))" }
        if b.u32(280) != 0 { s += " --hashlimit-htable-max \(b.u32(280))" }
        if b.u32(284) != 1000 { s += " --hashlimit-htable-gcinterval \(b.u32(284))" }
        if UInt64(b.u32(288)) != quantum { s += " --hashlimit-htable-expire \(b.u32(288))" }
        let dmask: UInt8 = family == .ip6 ? 128 : 32
        let maskAt = revision == 3 ? 296 : 292
        if b.u8(maskAt) != dmask { s += " --hashlimit-srcmask \(b.u8(maskAt))" }
        if b.u8(maskAt + 1) != dmask { s += " --hashlimit-dstmask \(b.u8(maskAt + 1))" }
        if revision == 3, mode & 0x40 != 0 {
            s += " --hashlimit-rate-match"
            if b.u32(292) != 1 { s += " --hashlimit-rate-interval \(b.u32(292))" }
        }
        return s
    }

    /// sctp/dccp `--sport`/`--dport` (host-order u16 pairs: dpts @0, spts @4), source first.
    static func ports(_ b: XTBytes, flags: UInt32, inv: UInt32) -> String {
        var t = ""
        if flags & 1 != 0 { t += (inv & 1 != 0 ? " !" : "") + " --sport " + range(UInt32(b.u16(4)), UInt32(b.u16(6))) }
        if flags & 2 != 0 { t += (inv & 2 != 0 ? " !" : "") + " --dport " + range(UInt32(b.u16(0)), UInt32(b.u16(2))) }
        return t
    }

    /// `gmtime` as `%04u-%02u-%02uT%02u:%02u:%02u`.
    static func isoDate(_ seconds: UInt64) -> String {
        UTCDateText.text(days: Int64(seconds / 86400), secondOfDay: seconds % 86400, separator: "T")
    }

    /// Device group names iptables prints for a full mask (`xtables_print_val_mask`
    /// with the names of `/etc/iproute2/group`): the file Debian's iproute2 ships,
    /// which names only group 0. A host that names more groups there gets numbers
    /// from hostaudit where iptables-save prints its names (a documented gap, README).
    static let devgroupNames: [UInt32: String] = [0: "default"]

    /// ` 0x%x/0x%x`, or the group's name / ` 0x%x` when the mask is full.
    static func devgroup(_ value: UInt32, mask: UInt32) -> String {
        if mask != UInt32.max { return " 0x\(String(value, radix: 16))/0x\(String(mask, radix: 16))" }
        return " " + (devgroupNames[value] ?? "0x\(String(value, radix: 16))")
    }

    /// `%u` or `%u:%u`.
    static func range(_ lo: UInt32, _ hi: UInt32) -> String { lo == hi ? "\(lo)" : "\(lo):\(hi)" }

    /// `0x%02x`.
    static func hex2(_ v: UInt8) -> String { "0x" + hexByte(v, upper: false) }

    static func hexByte(_ v: UInt8, upper: Bool) -> String {
        let h = String(v, radix: 16, uppercase: upper)
        return h.count == 1 ? "0" + h : h
    }
}
