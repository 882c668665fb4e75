/// What `IPT_SO_GET_INFO` / `IP6T_SO_GET_INFO` report about a legacy table.
package struct LegacyTableInfo: Sendable, Equatable {
    /// Bit `1 << hook` per built-in chain.
    package var validHooks: UInt32
    /// Offset of each hook's first entry (5 values, `NF_INET_NUMHOOKS`).
    package var hookEntry: [UInt32]
    /// Offset of each hook's policy entry.
    package var underflow: [UInt32]
    package var numEntries: UInt32
    package var size: UInt32

    package init(validHooks: UInt32, hookEntry: [UInt32], underflow: [UInt32], numEntries: UInt32, size: UInt32) {
        self.validHooks = validHooks
        self.hookEntry = hookEntry
        self.underflow = underflow
        self.numEntries = numEntries
        self.size = size
    }
}

/// A legacy (x_tables) table read with `IPT_SO_GET_ENTRIES`, decoded into the
/// iptables model; hostaudit prints it as `iptables-legacy-save` does.
extension IptablesTable {
    /// Decodes the entry blob of `IPT_SO_GET_ENTRIES` (`struct ipt_entry` /
    /// `ip6t_entry`, each followed by its `xt_entry_match`es and one
    /// `xt_entry_target`), the way libiptc rebuilds chains from it: built-in
    /// chains from `hook_entry`/`underflow`, user chains from `ERROR` heads,
    /// jumps from entry offsets, a jump to the next entry = no target.
    package init(legacy family: Family, name: String, info: LegacyTableInfo, entries blob: [UInt8]) throws(ProbeError) {
        let v6 = family == .ip6
        let entrySize = v6 ? 168 : 112
        let targetOffsetAt = v6 ? 140 : 88
        let countersAt = v6 ? 152 : 96
        func bad(_ reason: String) -> ProbeError { .malformed(what: "x_tables \(family.name) \(name)", reason: reason) }

        struct Entry {
            var offset: Int
            var next: Int
            var rule: IptablesRule
            var targetName: String
            var targetRevision: UInt32
            var targetData: [UInt8]
            var isGoto: Bool
        }

        // 1. Walk the entries.
        var entries: [Entry] = []
        var off = 0
        let size = min(Int(info.size), blob.count)
        while off < size {
            let b = XTBytes(blob, base: off)
            guard b.has(0, entrySize) else { throw bad("truncated entry at offset \(off)") }
            let targetOffset = Int(b.u16(targetOffsetAt))
            let nextOffset = Int(b.u16(targetOffsetAt + 2))
            guard targetOffset >= entrySize, nextOffset >= targetOffset + 32, off + nextOffset <= size else {
                throw bad("entry at offset \(off) has target_offset \(targetOffset), next_offset \(nextOffset)")
            }
            var r = IptablesRule()
            let addrLen = v6 ? 16 : 4
            let (src, dst, smsk, dmsk) = (0, addrLen, 2 * addrLen, 3 * addrLen)
            let ifBase = 4 * addrLen
            let protoAt = v6 ? 128 : 80
            let flags = b.u8(v6 ? 131 : 82)
            let inv = b.u8(v6 ? 132 : 83)
            if !b.slice(smsk, addrLen).allSatisfy({ $0 == 0 }) || !b.slice(src, addrLen).allSatisfy({ $0 == 0 }) || inv & 0x08 != 0 {
                r.source = XTMatch.AddressMask(address: b.slice(src, addrLen), mask: b.slice(smsk, addrLen))
            }
            if !b.slice(dmsk, addrLen).allSatisfy({ $0 == 0 }) || !b.slice(dst, addrLen).allSatisfy({ $0 == 0 }) || inv & 0x10 != 0 {
                r.destination = XTMatch.AddressMask(address: b.slice(dst, addrLen), mask: b.slice(dmsk, addrLen))
            }
            r.invertSource = inv & 0x08 != 0
            r.invertDestination = inv & 0x10 != 0
            r.inInterface = Self.legacyInterface(b.slice(ifBase, 16), mask: b.slice(ifBase + 32, 16))
            r.outInterface = Self.legacyInterface(b.slice(ifBase + 16, 16), mask: b.slice(ifBase + 48, 16))
            r.raw.inName = b.slice(ifBase, 16)
            r.raw.outName = b.slice(ifBase + 16, 16)
            r.raw.inMask = b.slice(ifBase + 32, 16)
            r.raw.outMask = b.slice(ifBase + 48, 16)
            r.invertIn = inv & 0x01 != 0
            r.invertOut = inv & 0x02 != 0
            let proto = b.u16(protoAt)
            if proto != 0 { r.proto = proto }
            r.invertProto = inv & 0x40 != 0
            if !v6, flags & 0x01 != 0 { r.fragment = inv & 0x20 == 0 }
            r.packets = b.u64(countersAt)
            r.bytes = b.u64(countersAt + 8)

            // Matches between the fixed entry and the target.
            var mo = entrySize
            while mo < targetOffset {
                let matchSize = Int(b.u16(mo))
                guard matchSize >= 32, mo + matchSize <= targetOffset else {
                    throw bad("match at offset \(off + mo) has size \(matchSize)")
                }
                let mname = b.cString(mo + 2, max: 29)
                let mrev = UInt32(b.u8(mo + 31))
                let minfo = b.slice(mo + 32, matchSize - 32)
                r.matches.append(XTMatch.decode(name: mname, revision: mrev, info: minfo, family: family))
                r.raw.matches.append(Expression.XT(name: mname, revision: mrev, info: minfo))
                mo += matchSize
            }
            let targetSize = Int(b.u16(targetOffset))
            guard targetSize >= 32, targetOffset + targetSize <= nextOffset else {
                throw bad("target at offset \(off + targetOffset) has size \(targetSize)")
            }
            entries.append(
                Entry(
                    offset: off, next: nextOffset, rule: r, targetName: b.cString(targetOffset + 2, max: 29),
                    targetRevision: UInt32(b.u8(targetOffset + 31)),
                    targetData: b.slice(targetOffset + 32, targetSize - 32),
                    isGoto: flags & (v6 ? 0x04 : 0x02) != 0))
            off += nextOffset
        }
        var index: [Int: Int] = [:]
        for (i, e) in entries.enumerated() { index[e.offset] = i }

        // 2. Chain boundaries.
        let hookNames = ["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"]
        var hookStarts: Set<Int> = []
        for h in 0..<5 where info.validHooks & (1 << h) != 0 && h < info.hookEntry.count {
            hookStarts.insert(Int(info.hookEntry[h]))
        }
        var headByFirstRule: [Int: String] = [:]
        var userHeads: [(name: String, index: Int)] = []
        for (i, e) in entries.enumerated() where e.targetName == "ERROR" {
            let chainName = XTBytes(e.targetData).cString(0, max: 30)
            if chainName == "ERROR" && i == entries.count - 1 { continue }
            userHeads.append((chainName, i))
            headByFirstRule[e.offset + e.next] = chainName
            headByFirstRule[e.offset] = chainName
        }

        func resolve(_ e: Entry) throws(ProbeError) -> IptablesRule.Target {
            if e.targetName.isEmpty || e.targetName == "standard" {
                guard e.targetData.count >= 4 else { throw bad("short standard target at offset \(e.offset)") }
                let v = XTBytes(e.targetData).i32(0)
                switch v {
                case -2: return .accept
                case -1: return .drop
                case -4: return .queue
                case -5: return .return
                case 0...:
                    if Int(v) == e.offset + e.next { return .none }
                    guard let chain = headByFirstRule[Int(v)] else { throw bad("jump to offset \(v) is not a chain") }
                    return e.isGoto ? .goto(chain) : .jump(chain)
                default: throw bad("unknown verdict \(v) at offset \(e.offset)")
                }
            }
            return .extension(
                XTTarget.decode(name: e.targetName, revision: e.targetRevision, info: e.targetData, family: family))
        }

        // 3. Built-in chains: hook_entry up to the policy entry at underflow.
        var chains: [IptablesChain] = []
        for h in 0..<5 where info.validHooks & (1 << h) != 0 && h < info.underflow.count {
            guard let first = index[Int(info.hookEntry[h])], let policyIndex = index[Int(info.underflow[h])],
                first <= policyIndex
            else { throw bad("hook \(h) offsets do not point at entries") }
            let policyEntry = entries[policyIndex]
            let policy: String
            switch try resolve(policyEntry) {
            case .accept: policy = "ACCEPT"
            case .drop: policy = "DROP"
            case .queue: policy = "QUEUE"
            case .return: policy = "RETURN"
            default: throw bad("policy of hook \(h) is not a verdict")
            }
            var rules: [IptablesRule] = []
            for e in entries[first..<policyIndex] {
                var r = e.rule
                r.target = try resolve(e)
                r.raw.target = Self.rawTarget(e.targetName, e.targetRevision, e.targetData)
                rules.append(r)
            }
            chains.append(
                IptablesChain(
                    name: hookNames[h], policy: policy, packets: policyEntry.rule.packets,
                    bytes: policyEntry.rule.bytes, rules: rules))
        }

        // 4. User chains: after the ERROR head up to (not including) the final RETURN.
        var user: [IptablesChain] = []
        for (k, head) in userHeads.enumerated() {
            var end = k + 1 < userHeads.count ? userHeads[k + 1].index : entries.count - 1
            if let hookStart = entries.indices.first(where: { $0 > head.index && $0 < end && hookStarts.contains(entries[$0].offset) }) {
                end = hookStart
            }
            let last = end - 1  // the chain's closing RETURN
            var rules: [IptablesRule] = []
            if last > head.index + 1 {
                for e in entries[(head.index + 1)..<last] {
                    var r = e.rule
                    r.target = try resolve(e)
                    r.raw.target = Self.rawTarget(e.targetName, e.targetRevision, e.targetData)
                    rules.append(r)
                }
            }
            user.append(IptablesChain(name: head.name, rules: rules))
        }
        user.sort { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }
        self.init(family: family, name: name, chains: chains + user)
    }

    /// An extension target's raw struct; nil for the standard target (a verdict or jump).
    static func rawTarget(_ name: String, _ revision: UInt32, _ data: [UInt8]) -> Expression.XT? {
        name.isEmpty || name == "standard" ? nil : Expression.XT(name: name, revision: revision, info: data)
    }

    /// `print_iface` of iptables-legacy: the name up to the mask's end, `+` when
    /// the mask stops before the name's NUL.
    static func legacyInterface(_ name: [UInt8], mask: [UInt8]) -> String? {
        guard mask.first ?? 0 != 0 else { return nil }
        var out: [UInt8] = []
        for i in 0..<min(16, name.count, mask.count) {
            if mask[i] != 0 {
                if name[i] != 0 { out.append(name[i]) }
            } else {
                if i > 0, name[i - 1] != 0 { out.append(UInt8(ascii: "+")) }
                break
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
