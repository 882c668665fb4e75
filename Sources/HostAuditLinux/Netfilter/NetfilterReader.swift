#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CNetfilter
import HostAuditCore

/// Reads the nf_tables ruleset of the calling thread's network namespace over
/// netlink (libmnl + libnftnl), as one consistent snapshot.
///
/// Sequence per attempt: GETGEN (with ACK) → tables → chains → sets (+ the
/// elements of each set) → named objects → flowtables → rules, dumped chain
/// by chain → GETGEN again. Every dump message must carry the first
/// generation (`nfgenmsg.res_id`); a changed generation, `NLM_F_DUMP_INTR`
/// or an object vanishing mid-read restarts the snapshot, with a growing,
/// jittered pause between attempts, until both `maxAttempts` attempts and
/// `timeBudget` have been spent: a host whose ruleset changes constantly
/// (kube-proxy, fail2ban) is still read. The bulk of the data (set elements
/// and rules) is only copied while the generation is held and parsed after
/// the closing GETGEN, so the window a writer can hit stays short.
public struct NetfilterReader: Sendable {
    public var maxAttempts: Int
    /// How long to keep retrying an inconsistent snapshot (after `maxAttempts`).
    public var timeBudget: Duration
    /// Receive buffer size; dump batches follow it up to 32 KiB (docs/netlink.md §5).
    public var receiveBufferSize: Int
    /// Where `ip_tables_names` / `ip6_tables_names` live.
    public var procNet: String

    public init(
        maxAttempts: Int = 8, timeBudget: Duration = .seconds(20), receiveBufferSize: Int = 65536 + 4096,
        procNet: String = "/proc/net"
    ) {
        self.maxAttempts = maxAttempts
        self.timeBudget = timeBudget
        self.receiveBufferSize = receiveBufferSize
        self.procNet = procNet
    }

    public func snapshot() throws(ProbeError) -> RulesetSnapshot {
        let socket = try NetlinkSocket(receiveBufferSize: receiveBufferSize)
        var lastReason = ""
        let clock = ContinuousClock()
        let start = clock.now
        var attempt = 0
        var generator = SystemRandomNumberGenerator()
        while true {
            attempt += 1
            do throws(DumpFailure) {
                var snapshot = try RulesetDump(socket: socket).run()
                snapshot.attempts = attempt
                snapshot.legacyTables = LegacyTables(procNet: procNet).read()
                do throws(ProbeError) {
                    snapshot.legacy = try LegacyReader().read(snapshot.legacyTables)
                } catch {
                    throw .failed(error)
                }
                return snapshot
            } catch {
                switch error {
                case .inconsistent(let reason): lastReason = reason
                case .failed(let probeError): throw probeError
                }
            }
            let elapsed = clock.now - start
            if attempt >= max(1, maxAttempts) && elapsed >= timeBudget { break }
            // Back off 1, 2, 4 … 64 ms (jittered to half of that to all of it) so a
            // writer committing at a steady rate does not meet every attempt.
            let ceiling = 1 << min(attempt - 1, 6)
            let micros = Int.random(in: (ceiling * 500)...(ceiling * 1000), using: &generator)
            usleep(UInt32(micros))
        }
        throw .library(
            name: "nf_tables dump", errno: .resourceTemporarilyUnavailable,
            message: "the ruleset kept changing: no consistent snapshot after \(attempt) attempts in "
                + "\((clock.now - start).components.seconds) s (last: \(lastReason))")
    }
}

/// One dump attempt.
struct RulesetDump {
    let socket: NetlinkSocket
    private static let subsysShift = 8

    func generation() throws(DumpFailure) -> UInt32 {
        var id: UInt32?
        // GETGEN is not a dump: NLM_F_ACK gives the reply loop its terminator.
        try socket.request(UInt32(NFT_MSG_GETGEN.rawValue), family: 0, flags: NLM_F_ACK, what: "GETGEN") {
            nlh throws(DumpFailure) in
            let gen = NftnlGen()
            guard gen.parse(nlh), let value = gen[GenAttr.id] else {
                throw .failed(.malformed(what: "NFT_MSG_NEWGEN", reason: "no generation id"))
            }
            id = value
        }
        guard let id else { throw .failed(.malformed(what: "NFT_MSG_GETGEN", reason: "no reply")) }
        return id
    }

    /// Runs a dump, checking every message's generation before parsing it.
    private func dump(
        _ type: nf_tables_msg_types, family: UInt32, what: String, generation: UInt32,
        payload: (UnsafeMutablePointer<nlmsghdr>) -> Void = { _ in },
        _ parse: (UnsafePointer<nlmsghdr>) throws(DumpFailure) -> Void
    ) throws(DumpFailure) {
        let expected = UInt16(truncatingIfNeeded: generation)
        try socket.request(UInt32(type.rawValue), family: family, flags: NLM_F_DUMP, what: what, payload: payload) {
            nlh throws(DumpFailure) in
            // struct nfgenmsg { u8 family; u8 version; __be16 res_id }
            let resID = UInt16(bigEndian: mnl_nlmsg_get_payload(nlh).loadUnaligned(fromByteOffset: 2, as: UInt16.self))
            guard resID == expected else {
                throw .inconsistent("\(what): message from generation \(resID), expected \(expected)")
            }
            try parse(nlh)
        }
    }

    private static func parseFailure(_ what: String) -> DumpFailure {
        .failed(.malformed(what: what, reason: "libnftnl could not parse the kernel's message"))
    }

    /// Dumps every object of one libnftnl type (all families) and converts
    /// each with `convert` as it arrives.
    private func dumpObjects<K: NftnlParsable, T>(
        _ type: nf_tables_msg_types, _ what: String, generation: UInt32, _ convert: (NftnlObject<K>) -> T
    ) throws(DumpFailure) -> [T] {
        var out: [T] = []
        try dump(type, family: 0, what: what + "s", generation: generation) { nlh throws(DumpFailure) in
            let o = NftnlObject<K>()
            guard o.parse(nlh) else { throw Self.parseFailure(what) }
            out.append(convert(o))
        }
        return out
    }

    /// Dumps the messages of one filtered request (a set's elements, a chain's
    /// rules) and only copies them, to be parsed after the closing GETGEN.
    private func dumpRaw(
        _ type: nf_tables_msg_types, family: UInt32, what: String, generation: UInt32,
        payload: (UnsafeMutablePointer<nlmsghdr>) -> Void
    ) throws(DumpFailure) -> RawMessages {
        var raw = RawMessages()
        try dump(type, family: family, what: what, generation: generation, payload: payload) { nlh throws(DumpFailure) in
            raw.append(nlh)
        }
        return raw
    }

    func run() throws(DumpFailure) -> RulesetSnapshot {
        let gen = try generation()

        let tables = try dumpObjects(NFT_MSG_GETTABLE, "table", generation: gen) { (t: NftnlTable) in Table(t) }
        var chains = try dumpObjects(NFT_MSG_GETCHAIN, "chain", generation: gen) { (c: NftnlChain) in Chain(c) }
        var rawSets = try dumpObjects(NFT_MSG_GETSET, "set", generation: gen) { (s: NftnlSet) in s }
        // Elements are dumped per set and only copied here; they are parsed into
        // the set object once the closing GETGEN has confirmed the generation.
        var rawElements: [RawMessages] = []
        rawElements.reserveCapacity(rawSets.count)
        for s in rawSets {
            rawElements.append(
                try dumpRaw(
                    NFT_MSG_GETSETELEM, family: s[SetAttr.family] ?? 0,
                    what: "elements of set \(s[SetAttr.table] ?? "?") \(s[SetAttr.name] ?? "?")", generation: gen,
                    payload: { nftnl_set_elems_nlmsg_build_payload($0, s.ptr) }))
        }
        let objects = try dumpObjects(NFT_MSG_GETOBJ, "object", generation: gen) { (o: NftnlObj) in NamedObject(o) }
        let flowtables = try dumpObjects(NFT_MSG_GETFLOWTABLE, "flowtable", generation: gen) { (f: NftnlFlowtable) in
            Flowtable(f)
        }

        // Rules chain by chain: the kernel re-walks from the start of the list on
        // every resumed dump, so per-chain dumps bound that cost (docs/netlink.md §5).
        var rawRules: [RawMessages] = []
        rawRules.reserveCapacity(chains.count)
        for c in chains {
            let filter = NftnlRule()
            filter.set(RuleAttr.table, c.table)
            filter.set(RuleAttr.chain, c.name)
            rawRules.append(
                try dumpRaw(
                    NFT_MSG_GETRULE, family: c.family.nfproto, what: "rules of chain \(c.table) \(c.name)",
                    generation: gen, payload: { nftnl_rule_nlmsg_build_payload($0, filter.ptr) }))
        }

        let after = try generation()
        guard after == gen else { throw .inconsistent("generation changed from \(gen) to \(after) during the dump") }

        // The generation held: parse what was copied, releasing each chain's
        // (and each set's) copied messages as soon as they are parsed, so the
        // raw dump and the model never both exist whole (peak memory).
        var sets: [NFTSet] = []
        sets.reserveCapacity(rawSets.count)
        for i in rawSets.indices {
            let raw = rawElements[i].take()
            try raw.forEach { nlh throws(DumpFailure) in
                guard rawSets[i].parseElements(nlh) else { throw Self.parseFailure("set elements") }
            }
            sets.append(NFTSet(rawSets[i]))
        }
        rawSets.removeAll()
        for i in chains.indices {
            let raw = rawRules[i].take()
            var rules: [Rule] = []
            rules.reserveCapacity(raw.count)
            try raw.forEach { nlh throws(DumpFailure) in
                let r = NftnlRule()
                guard r.parse(nlh) else { throw Self.parseFailure("rule") }
                rules.append(Rule(r))
            }
            chains[i].rules = rules
        }

        return RulesetSnapshot(generation: gen, tables: Self.assemble(tables, chains, sets, objects, flowtables))
    }

    /// Puts chains, sets, objects and flowtables into their tables, keeping kernel order.
    static func assemble(
        _ tables: [Table], _ chains: [Chain], _ sets: [NFTSet], _ objects: [NamedObject], _ flowtables: [Flowtable]
    ) -> [Table] {
        struct Key: Hashable {
            var family: Family
            var name: String
        }
        var result = tables
        var index: [Key: Int] = [:]
        for (i, t) in tables.enumerated() { index[Key(family: t.family, name: t.name)] = i }
        for c in chains { if let i = index[Key(family: c.family, name: c.table)] { result[i].chains.append(c) } }
        for s in sets { if let i = index[Key(family: s.family, name: s.table)] { result[i].sets.append(s) } }
        for o in objects { if let i = index[Key(family: o.family, name: o.table)] { result[i].objects.append(o) } }
        for f in flowtables { if let i = index[Key(family: f.family, name: f.table)] { result[i].flowtables.append(f) } }
        return result
    }
}

/// Netlink messages copied out of the receive buffer, back to back (each at a
/// 4-byte aligned offset, as netlink lays them out), to be parsed later.
struct RawMessages {
    private var bytes: [UInt8] = []
    private var offsets: [Int] = []

    var count: Int { offsets.count }

    /// Moves the messages out, leaving this value empty.
    mutating func take() -> RawMessages {
        let taken = self
        self = RawMessages()
        return taken
    }

    mutating func append(_ nlh: UnsafePointer<nlmsghdr>) {
        let length = Int(nlh.pointee.nlmsg_len)
        offsets.append(bytes.count)
        bytes.append(contentsOf: UnsafeRawBufferPointer(start: UnsafeRawPointer(nlh), count: length))
        let padded = (length + 3) & ~3
        if padded > length { bytes.append(contentsOf: repeatElement(0, count: padded - length)) }
    }

    func forEach(_ body: (UnsafePointer<nlmsghdr>) throws(DumpFailure) -> Void) throws(DumpFailure) {
        var failure: DumpFailure?
        bytes.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) in
            guard let base = buffer.baseAddress else { return }
            for offset in offsets {
                do throws(DumpFailure) {
                    try body((base + offset).assumingMemoryBound(to: nlmsghdr.self))
                } catch {
                    failure = error
                    return
                }
            }
        }
        if let failure { throw failure }
    }
}
