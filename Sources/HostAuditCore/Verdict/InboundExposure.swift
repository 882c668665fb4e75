/// Which of the host's listening sockets the world can reach through the
/// host's own ruleset: the inbound twin of the egress verdict, on the same
/// evaluator (`VerdictEvaluator.evaluateInbound`).
///
/// For each listening socket the first packet of a new connection is
/// evaluated through prerouting and input, on every non-loopback interface:
/// first from a representative outside address (a documentation address no
/// rule names and no local network holds); when that is not accepted, from
/// one address inside every source prefix, range and set member the ruleset
/// tests the source address against, and inside every local network. Each
/// source reported as allowed was accepted by the evaluator, never inferred.
/// See docs/exposure.md.
package struct ExposureAnalyzer: Sendable {
    /// A host interface with its addresses and prefix lengths.
    package struct HostInterface: Sendable, Hashable {
        package var name: String
        package var index: UInt32
        package var isLoopback: Bool
        package var addresses: [Prefix]
        package init(name: String, index: UInt32, isLoopback: Bool, addresses: [Prefix]) {
            self.name = name
            self.index = index
            self.isLoopback = isLoopback
            self.addresses = addresses
        }
    }

    /// An address with a prefix length (`10.0.0.1/24`).
    package struct Prefix: Sendable, Hashable, CustomStringConvertible {
        package var address: IPAddress
        package var length: Int
        package init(_ address: IPAddress, _ length: Int) {
            self.address = address
            self.length = max(0, min(length, address.bytes.count * 8))
        }
        /// The network address (host bits cleared).
        package var network: IPAddress {
            var b = address.bytes
            var bits = length
            for i in 0..<b.count {
                let keep = min(8, max(0, bits))
                b[i] &= UInt8(truncatingIfNeeded: 0xff << (8 - keep))
                bits -= 8
            }
            return IPAddress(bytes: b)!
        }
        package var description: String { "\(network)/\(length)" }
    }

    /// A source the ruleset tests, with the address evaluated for it.
    struct Candidate: Sendable {
        var label: String
        var kind: String  // rule, set, local-network
        var set: String?
        var representative: IPAddress
        var low: IPAddress
        var high: IPAddress
    }

    package let evaluator: VerdictEvaluator
    package let interfaces: [HostInterface]
    package let local: LocalKnowledge
    let candidates: [Candidate]
    /// Source tests the candidates could not enumerate (ipset matches, concatenated sets…).
    let unenumerated: [String]
    package let outsideIPv4: IPAddress
    package let outsideIPv6: IPAddress

    /// At most this many members per set are tried as sources.
    static let maxSetMembers = 64
    /// At most this many sources are tried per socket and family.
    static let maxCandidates = 256

    static let outsidePoolV4 = ["203.0.113.10", "198.51.100.10", "192.0.2.10", "11.22.33.44"].compactMap(IPAddress.init)
    static let outsidePoolV6 = ["2001:db8::10", "3fff::10", "2a0a:ffff::10"].compactMap(IPAddress.init)

    package init(evaluator: VerdictEvaluator, interfaces: [HostInterface], local: LocalKnowledge) {
        self.evaluator = evaluator
        self.interfaces = interfaces
        self.local = local
        var (found, unenumerated) = Self.sourceCandidates(evaluator)
        // Every local network is a source too: its neighbours reach the host directly.
        for i in interfaces where !i.isLoopback {
            for p in i.addresses where p.length < p.address.bytes.count * 8 {
                guard let rep = Self.neighbour(in: p, avoiding: local.localAddresses + i.addresses.map(\.address)) else { continue }
                let (lo, hi) = Self.bounds(p.network, p.length)
                found.append(Candidate(label: p.description, kind: "local-network", set: nil, representative: rep, low: lo, high: hi))
            }
        }
        if found.count > Self.maxCandidates {
            unenumerated.append("the ruleset names \(found.count) sources; the first \(Self.maxCandidates) were tried")
            found = Array(found.prefix(Self.maxCandidates))
        }
        candidates = found
        self.unenumerated = unenumerated
        func pick(_ pool: [IPAddress]) -> IPAddress {
            pool.first { a in !found.contains { Self.inside(a, $0.low, $0.high) } } ?? pool[0]
        }
        outsideIPv4 = pick(Self.outsidePoolV4)
        outsideIPv6 = pick(Self.outsidePoolV6)
    }

    /// The classification of one listening socket.
    package func classify(proto: FlowProtocol, address: IPAddress, port: UInt16) -> ExposureFact.Verdict {
        if address.isLoopback || (Self.v4Mapped(address)?.isLoopback ?? false) {
            return .init(exposure: .loopbackOnly, reason: "bound to the loopback address \(address)")
        }
        var families: [(v6: Bool, bound: IPAddress?)] = []
        var notes: [String] = []
        if let m = Self.v4Mapped(address) {
            families = [(false, m)]
        } else if address.isIPv4 {
            families = [(false, address.bytes == [0, 0, 0, 0] ? nil : address)]
        } else if address.bytes == [UInt8](repeating: 0, count: 16) {
            families = [(true, nil), (false, nil)]
            notes.append("bound to [::]: IPv4 is evaluated too (dual-stack unless the socket sets IPV6_V6ONLY, which the socket list does not show)")
        } else {
            families = [(true, address)]
        }
        let perFamily = families.map { classify(proto: proto, port: port, ipv6: $0.v6, bound: $0.bound) }
        var out = Self.combine(perFamily)
        out.notes = notes + out.notes
        return out
    }

    func classify(proto: FlowProtocol, port: UInt16, ipv6: Bool, bound: IPAddress?) -> ExposureFact.Verdict {
        // Where a packet to this socket can arrive, and the destination it carries there.
        var paths: [(InboundInterface, IPAddress)] = []
        let familyAddresses = interfaces.filter { !$0.isLoopback }.flatMap { i in
            i.addresses.filter { $0.address.isIPv6 == ipv6 && !$0.address.isLinkLocal }
        }
        for i in interfaces where !i.isLoopback {
            let mine = i.addresses.first { $0.address.isIPv6 == ipv6 }?.address
            guard let dst = bound ?? mine ?? familyAddresses.first?.address else { continue }
            paths.append((InboundInterface(name: i.name, index: i.index), dst))
        }
        let fam = ipv6 ? "IPv6" : "IPv4"
        guard !paths.isEmpty else {
            return .init(exposure: .unknown, reason: "no non-loopback interface with an \(fam) address to arrive on")
        }
        func run(_ src: IPAddress) -> [(String, VerdictResult)] {
            paths.map { iface, dst in
                let flow = VerdictFlow(destination: dst, destinationPort: port, proto: proto, source: src)
                return (iface.name ?? "?", evaluator.evaluateInbound(flow, interface: iface, local: local))
            }
        }
        let outside = ipv6 ? outsideIPv6 : outsideIPv4
        let fromOutside = run(outside)
        var v = ExposureFact.Verdict(exposure: .blocked, reason: nil)
        v.outsideAddress = outside.description
        if let accepted = fromOutside.first(where: { $0.1.verdict == .accept }) {
            v.exposure = .exposed
            v.decidedBy = accepted.1.decidedBy.map(ExposureFact.Location.init)
            v.acceptedOn = fromOutside.filter { $0.1.verdict == .accept }.map(\.0)
            v.reason = "a new \(proto.rawValue) connection from \(outside) (\(fam), standing for any outside address) is accepted on \(v.acceptedOn.joined(separator: ", "))"
            v.coveredByRule = accepted.1.decidedBy?.handle != nil
            return v
        }
        if let u = fromOutside.first(where: { $0.1.verdict == .unknown }) {
            v.exposure = .unknown
            v.reason = "the verdict for a new connection from \(outside) on \(u.0) is not known: " + (u.1.notes.first ?? "no reason given")
            v.notes = Array(u.1.notes.dropFirst().prefix(6))
            return v
        }
        v.decidedBy = fromOutside.first?.1.decidedBy.map(ExposureFact.Location.init)
        v.coveredByRule = fromOutside.contains { $0.1.decidedBy?.handle != nil }
        // Not accepted from outside: which of the sources the ruleset names are accepted?
        var unknownSources: [String] = []
        for c in candidates where c.representative.isIPv6 == ipv6 {
            let results = run(c.representative)
            if let a = results.first(where: { $0.1.verdict == .accept }) {
                let via = a.1.decidedBy
                v.sources.append(
                    .init(
                        source: c.label, kind: c.kind, set: c.set, testedAddress: c.representative.description,
                        via: via.map(ExposureFact.Location.init)))
                if via?.handle != nil { v.coveredByRule = true }
            } else if results.contains(where: { $0.1.verdict == .unknown }) {
                unknownSources.append("\(c.label): " + (results.first { $0.1.verdict == .unknown }?.1.notes.first ?? "unknown"))
            }
        }
        v.sourcesComplete = unknownSources.isEmpty && unenumerated.isEmpty
        v.notes += unknownSources.prefix(6).map { "verdict not known for source \($0)" }
        v.notes += unenumerated.prefix(6).map { "source test not enumerated: \($0)" }
        let deny = v.decidedBy.map { " (\($0.table) \($0.chain): \($0.rule))" } ?? ""
        if !v.sources.isEmpty {
            v.exposure = .restricted
            v.reason = "not accepted from \(outside)\(deny); accepted from \(v.sources.map(\.source).joined(separator: ", "))"
        } else if !unknownSources.isEmpty {
            v.exposure = .unknown
            v.reason = "not accepted from \(outside)\(deny), but the verdict for some sources the ruleset names is not known"
        } else {
            v.reason = "a new \(proto.rawValue) connection from \(outside) and from every source the ruleset names is dropped or rejected\(deny)"
            if !unenumerated.isEmpty { v.reason! += "; some source tests could not be enumerated (see notes)" }
        }
        return v
    }

    /// One verdict per family to one per socket: exposed over any family wins, then unknown, restricted, blocked.
    static func combine(_ parts: [ExposureFact.Verdict]) -> ExposureFact.Verdict {
        if parts.count == 1 { return parts[0] }
        let order: [ExposureFact.Exposure] = [.exposed, .unknown, .restricted, .blocked, .loopbackOnly]
        for kind in order {
            let same = parts.filter { $0.exposure == kind }
            guard var first = same.first else { continue }
            for other in same.dropFirst() {
                first.sources += other.sources
                first.acceptedOn += other.acceptedOn.filter { !first.acceptedOn.contains($0) }
                first.notes += other.notes
                if let r = other.reason { first.reason = (first.reason.map { $0 + "; " } ?? "") + r }
            }
            first.sourcesComplete = parts.allSatisfy(\.sourcesComplete)
            first.coveredByRule = parts.allSatisfy(\.coveredByRule)
            for other in parts where other.exposure != kind {
                if let r = other.reason { first.notes.append("other family: \(other.exposure.rawValue): \(r)") }
            }
            return first
        }
        return parts[0]
    }

    // MARK: source candidates

    /// Every prefix, range and set member a rule of an ip/ip6/inet table compares the source address with.
    static func sourceCandidates(_ ev: VerdictEvaluator) -> ([Candidate], [String]) {
        var out: [Candidate] = []
        var unenumerated: [String] = []
        var seen = Set<String>()
        func add(_ c: Candidate) {
            let k = c.label + "|" + (c.set ?? "")
            if seen.insert(k).inserted { out.append(c) }
        }
        for ti in ev.tables {
            let t = ti.table
            guard t.family == .ip || t.family == .ip6 || t.family == .inet else { continue }
            for chain in t.chains {
                for rule in chain.rules {
                    // Registers that hold (part of) the source address: slot → what they hold.
                    struct Held { var v6: Bool; var start: Int; var mask: [UInt8] }
                    var regs: [Int: Held] = [:]
                    var nfprotoReg: Int?
                    var family: Bool? = t.family == .ip ? false : t.family == .ip6 ? true : nil
                    let where_ = "\(t.family.name) \(t.name) \(chain.name) handle \(rule.handle)"
                    /// The full address under `mask` (bytes outside the loaded part zero), when it is a prefix.
                    func prefix(_ h: Held, _ data: [UInt8]) -> (IPAddress, Int)? {
                        let addrLen = h.v6 ? 16 : 4
                        guard h.start == 0 else { return nil }
                        guard let len = prefixLength(h.mask) else { return nil }
                        var bytes = [UInt8](repeating: 0, count: addrLen)
                        for i in 0..<min(data.count, h.mask.count) where h.start + i < addrLen { bytes[h.start + i] = data[i] & h.mask[i] }
                        guard let a = IPAddress(bytes: bytes) else { return nil }
                        return (a, len)
                    }
                    for e in rule.expressions {
                        switch e {
                        case .meta(let m):
                            if let d = m.dreg {
                                regs[d.slot] = nil
                                if m.key == 15 { nfprotoReg = d.slot } else if nfprotoReg == d.slot { nfprotoReg = nil }
                            }
                        case .payload(let p):
                            guard let d = p.dreg else { continue }
                            regs[d.slot] = nil
                            if nfprotoReg == d.slot { nfprotoReg = nil }
                            guard p.base == 1 else { continue }
                            let off = Int(p.offset), len = Int(p.length)
                            for v6 in [false, true] where family == nil || family == v6 {
                                let addrOff = v6 ? 8 : 12, addrLen = v6 ? 16 : 4
                                // Without a family test an inet rule's offset 12 is read as IPv4 (nft always adds one).
                                if family == nil && v6 { continue }
                                if off >= addrOff && off + len <= addrOff + addrLen && len > 0 {
                                    regs[d.slot] = Held(v6: v6, start: off - addrOff, mask: [UInt8](repeating: 0xff, count: len))
                                }
                            }
                        case .bitwise(let b):
                            if let h = regs[b.sreg.slot], b.op == 0, let m = b.mask, m.count == h.mask.count {
                                regs[b.dreg.slot] = Held(v6: h.v6, start: h.start, mask: zip(h.mask, m).map { $0 & $1 })
                            } else {
                                regs[b.dreg.slot] = nil
                            }
                        case .cmp(let c):
                            if nfprotoReg == c.sreg.slot, c.op == .eq, c.data.count == 1 {
                                if c.data[0] == 2 { family = false } else if c.data[0] == 10 { family = true }
                                continue
                            }
                            guard let h = regs[c.sreg.slot], c.data.count == h.mask.count else { continue }
                            guard h.start == 0, let (a, len) = prefix(h, c.data) else {
                                unenumerated.append("\(where_): the source address compared under a mask that is not a prefix")
                                continue
                            }
                            let (lo, hi) = bounds(a, len)
                            add(Candidate(label: "\(a)/\(len)", kind: "rule", set: nil, representative: representative(lo, hi), low: lo, high: hi))
                        case .range(let r):
                            guard let h = regs[r.sreg.slot], h.start == 0, h.mask.count == (h.v6 ? 16 : 4), h.mask.allSatisfy({ $0 == 0xff }),
                                r.from.count == h.mask.count, let lo = IPAddress(bytes: r.from), let hi = IPAddress(bytes: r.to)
                            else { continue }
                            add(Candidate(label: rangeLabel(lo, hi), kind: "rule", set: nil, representative: representative(lo, hi), low: lo, high: hi))
                        case .lookup(let l):
                            guard let h = regs[l.sreg.slot] else { continue }
                            let addrLen = h.v6 ? 16 : 4
                            guard h.start == 0, h.mask.count == addrLen, h.mask.allSatisfy({ $0 == 0xff }), let set = ti.sets[l.set] else {
                                unenumerated.append("\(where_): a lookup in @\(l.set)")
                                continue
                            }
                            let setName = "\(t.family.name) \(t.name) \(set.set.isAnonymous ? "(anonymous)" : "@" + set.set.name)"
                            guard set.keyLength == addrLen, !set.set.isMap || true else {
                                unenumerated.append("\(where_): @\(l.set) is keyed by more than the source address")
                                continue
                            }
                            let members = setMembers(set.set, addrLen)
                            if members.count > maxSetMembers {
                                unenumerated.append("\(where_): @\(l.set) has \(members.count) members; the first \(maxSetMembers) were tried")
                            }
                            if set.set.flags.contains(.timeout) || set.set.flags.contains(.eval) {
                                unenumerated.append("\(where_): @\(l.set) is updated from traffic; its members are as read")
                            }
                            for (lo, hi) in members.prefix(maxSetMembers) {
                                add(Candidate(label: rangeLabel(lo, hi), kind: "set", set: setName, representative: representative(lo, hi), low: lo, high: hi))
                            }
                        case .match(let x) where x.name == "set" || x.name == "iprange" || x.name == "geoip":
                            unenumerated.append("\(where_): xt match \(x.name)")
                        default:
                            continue
                        }
                    }
                }
            }
        }
        return (out, unenumerated)
    }

    /// Members of an address set as closed ranges [low, high].
    static func setMembers(_ set: NFTSet, _ addrLen: Int) -> [(IPAddress, IPAddress)] {
        let elements = set.elements.filter { $0.key.count >= addrLen }
        if !set.flags.contains(.interval) {
            return elements.compactMap { e in IPAddress(bytes: Array(e.key.prefix(addrLen))).map { ($0, $0) } }
        }
        // Interval sets: start elements and (exclusive) end elements, in key order.
        let sorted = elements.sorted { $0.key.prefix(addrLen).lexicographicallyPrecedes($1.key.prefix(addrLen)) }
        var out: [(IPAddress, IPAddress)] = []
        for (i, e) in sorted.enumerated() where !e.isIntervalEnd {
            guard let lo = IPAddress(bytes: Array(e.key.prefix(addrLen))) else { continue }
            if let end = e.keyEnd.flatMap({ IPAddress(bytes: Array($0.prefix(addrLen))) }) {
                out.append((lo, end))
                continue
            }
            let next = sorted[(i + 1)...].first { $0.isIntervalEnd }
            let hi = next.flatMap { IPAddress(bytes: decrement(Array($0.key.prefix(addrLen)))) }
                ?? IPAddress(bytes: [UInt8](repeating: 0xff, count: addrLen))!
            out.append((lo, hi))
        }
        return out
    }

    static func prefixLength(_ mask: [UInt8]) -> Int? {
        var n = 0
        var ended = false
        for b in mask {
            for bit in stride(from: 7, through: 0, by: -1) {
                if b & (1 << bit) != 0 {
                    if ended { return nil }
                    n += 1
                } else {
                    ended = true
                }
            }
        }
        return n
    }

    static func bounds(_ a: IPAddress, _ len: Int) -> (IPAddress, IPAddress) {
        var lo = a.bytes, hi = a.bytes
        var bits = len
        for i in 0..<lo.count {
            let keep = min(8, max(0, bits))
            let m = UInt8(truncatingIfNeeded: 0xff << (8 - keep))
            lo[i] &= m
            hi[i] |= ~m
            bits -= 8
        }
        return (IPAddress(bytes: lo)!, IPAddress(bytes: hi)!)
    }

    static func increment(_ b: [UInt8]) -> [UInt8] {
        var b = b
        for i in stride(from: b.count - 1, through: 0, by: -1) {
            if b[i] == 0xff { b[i] = 0 } else { b[i] += 1; break }
        }
        return b
    }

    static func decrement(_ b: [UInt8]) -> [UInt8] {
        var b = b
        for i in stride(from: b.count - 1, through: 0, by: -1) {
            if b[i] == 0 { b[i] = 0xff } else { b[i] -= 1; break }
        }
        return b
    }

    /// An address inside [lo, hi]: lo + 1 when the range has room (not its network address), else lo.
    static func representative(_ lo: IPAddress, _ hi: IPAddress) -> IPAddress {
        let next = increment(lo.bytes)
        if lo.bytes.lexicographicallyPrecedes(hi.bytes), !hi.bytes.lexicographicallyPrecedes(next), next != hi.bytes {
            return IPAddress(bytes: next)!
        }
        return lo
    }

    static func inside(_ a: IPAddress, _ lo: IPAddress, _ hi: IPAddress) -> Bool {
        a.bytes.count == lo.bytes.count && !a.bytes.lexicographicallyPrecedes(lo.bytes) && !hi.bytes.lexicographicallyPrecedes(a.bytes)
    }

    /// `a/len` when [lo, hi] is exactly a prefix, `a` for one address, else `lo-hi`.
    static func rangeLabel(_ lo: IPAddress, _ hi: IPAddress) -> String {
        if lo == hi { return lo.description }
        for len in stride(from: lo.bytes.count * 8, through: 0, by: -1) {
            let (l, h) = bounds(lo, len)
            if l == lo && h == hi { return "\(lo)/\(len)" }
            if l != lo { break }
        }
        return "\(lo)-\(hi)"
    }

    /// A neighbour's address in a local network: the first of its addresses not the host's own.
    static func neighbour(in p: Prefix, avoiding ours: [IPAddress]) -> IPAddress? {
        let (lo, hi) = bounds(p.network, p.length)
        var b = lo.bytes
        for _ in 0..<4 {
            b = increment(b)
            guard let a = IPAddress(bytes: b), inside(a, lo, hi), a != hi || p.length >= (b.count * 8 - 1) else { return nil }
            if !ours.contains(a) { return a }
        }
        return nil
    }

    static func v4Mapped(_ a: IPAddress) -> IPAddress? {
        guard a.isIPv6, a.bytes.prefix(10).allSatisfy({ $0 == 0 }), a.bytes[10] == 0xff, a.bytes[11] == 0xff else { return nil }
        return IPAddress(bytes: Array(a.bytes.suffix(4)))
    }
}
