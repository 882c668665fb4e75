/// `hostaudit firewall show --format json`: the snapshot as libnftables JSON
/// (libnftables-json(5)), equal as parsed JSON to what `nft -j list ruleset`
/// (nftables 1.0.6) prints for the same ruleset, built from the decompiler's
/// statement AST (the same one the text renderer prints).
///
/// The document:
///
///     {
///       "nftables": [
///         {"metainfo": {"version": "<hostaudit version>", "release_name": "hostaudit", "json_schema_version": 1}},
///         {"table": {...}}, {"counter": {...}}, {"set": {...}}, {"flowtable": {...}}, {"chain": {...}},
///         {"rule": {...}}, ...                         per table, in nft's order
///       ],
///       "hostaudit": {
///         "schema": "hostaudit.firewall/v1",
///         "legacy": [
///           {"family": "ip", "name": "filter",
///            "chains": [{"name": "INPUT", "policy": "ACCEPT", "packets": 0, "bytes": 0}, ...],
///            "rules": [{"chain": "INPUT", "iptables": "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT",
///                       "packets": 0, "bytes": 0,
///                       "matches": [{"name": "tcp", "decoded": true, "options": {"dport": 22}, "iptables": "-m tcp --dport 22"}],
///                       "target": {"name": "ACCEPT"}}]}
///         ],
///         "backends_conflict": false,
///         "warnings": []
///       }
///     }
///
/// Differences from nft's own document, all additive or declared:
/// - `metainfo.version` / `release_name` name hostaudit, not nftables.
/// - Every `xt` object (nft prints only `type` and `name`) carries a
///   `"hostaudit"` key with the decoded x_tables options (see `NFTJSONXT`).
/// - The top-level `"hostaudit"` key is a sibling of `"nftables"`, so the
///   `nftables` array stays exactly nft's and libnftables (`nft -j -f`), which
///   reads only `"nftables"`, still accepts the document. It holds the legacy
///   x_tables (iptables-legacy) tables, which nf_tables cannot list, whether both
///   backends filter at once, and the snapshot's warnings.
public enum NFTJSONRenderer {
    /// The key hostaudit adds to nft's objects and to the document.
    public static let extensionKey = "hostaudit"
    public static let schema = "hostaudit.firewall/v1"

    public static func document(_ snapshot: RulesetSnapshot) -> JSONValue {
        document(snapshot, version: "hostaudit")
    }

    /// `version` goes into `metainfo.version` (the CLI passes its own version).
    public static func document(_ snapshot: RulesetSnapshot, version: String) -> JSONValue {
        var doc = JSONObject()
        doc.appendNew("nftables", .array(nftables(snapshot, version: version)))
        doc.appendNew(extensionKey, hostauditExtension(snapshot))
        return .object(doc)
    }

    /// The `nftables` array: metainfo, then each table's objects.
    public static func nftables(_ snapshot: RulesetSnapshot, version: String = "hostaudit") -> [JSONValue] {
        var out: [JSONValue] = []
        var count = 1
        for t in snapshot.tables {
            count += 1 + t.objects.count + t.sets.count + t.flowtables.count + t.chains.count
            for c in t.chains { count += c.rules.count }
        }
        out.reserveCapacity(count)
        forEachItem(snapshot, version: version) { out.append($0) }
        return out
    }

    /// Calls `body` with each item of the `nftables` array in order (metainfo,
    /// then each table's objects), building one item at a time.
    public static func forEachItem(
        _ snapshot: RulesetSnapshot, version: String = "hostaudit", _ body: (JSONValue) -> Void
    ) {
        var meta = JSONObject()
        meta.appendNew("version", .string(version))
        meta.appendNew("release_name", .string("hostaudit"))
        meta.appendNew("json_schema_version", .int(1))
        body(NFTJSONFormat.object("metainfo", .object(meta)))
        let interfaces = NFTTextRenderer.interfaceNames
        for t in snapshot.tables {
            table(t, interfaces: interfaces, emit: body)
        }
    }

    /// Writes `document(snapshot, version:)` compactly (as
    /// `JSONWriter(pretty: false)` does, byte for byte) without building it:
    /// each item of the `nftables` array is built, serialised and dropped in
    /// turn, and the bytes go to `sink` in pieces of about `chunkSize`. A
    /// large ruleset's document is never held whole, neither as values nor as
    /// bytes.
    public static func writeCompact(
        _ snapshot: RulesetSnapshot, version: String = "hostaudit", chunkSize: Int = 1 << 16,
        to sink: ([UInt8]) -> Void
    ) {
        let writer = JSONWriter(pretty: false)
        var out: [UInt8] = []
        out.reserveCapacity(chunkSize + 4096)
        out.append(UInt8(ascii: "{"))
        JSONWriter.appendQuoted("nftables", to: &out)
        out.append(contentsOf: ":[".utf8)
        var first = true
        forEachItem(snapshot, version: version) { item in
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            writer.append(item, to: &out)
            if out.count >= chunkSize {
                sink(out)
                out.removeAll(keepingCapacity: true)
            }
        }
        out.append(contentsOf: "],".utf8)
        JSONWriter.appendQuoted(extensionKey, to: &out)
        out.append(UInt8(ascii: ":"))
        writer.append(hostauditExtension(snapshot), to: &out)
        out.append(UInt8(ascii: "}"))
        sink(out)
    }

    /// The extension object (see the type's documentation).
    public static func hostauditExtension(_ snapshot: RulesetSnapshot) -> JSONValue {
        var o = JSONObject()
        o.appendNew("schema", .string(schema))
        o.appendNew("legacy", .array(snapshot.legacy.map(NFTJSONXT.legacy)))
        o.appendNew("backends_conflict", .bool(snapshot.backendsConflict))
        o.appendNew("warnings", .array(snapshot.warnings.map { .string($0) }))
        return .object(o)
    }

    typealias F = NFTJSONFormat

    /// Family, name and table in the order nft packs them for each kind.
    private static func head(_ family: Family, _ pairs: [(String, JSONValue)]) -> JSONObject {
        var o = JSONObject()
        o.appendNew("family", .string(family.name))
        for (k, v) in pairs { o.appendNew(k, v) }
        return o
    }

    /// `table_print_json_full` (1.0.6): the table, its objects, named sets,
    /// flowtables, chains, then every chain's rules.
    static func table(_ t: Table, interfaces: [UInt32: String], emit: (JSONValue) -> Void) {
        var to = head(t.family, [("name", .string(t.name)), ("handle", F.int(t.handle))])
        var flags: [JSONValue] = []
        if t.flags.contains(.dormant) { flags.append("dormant") }
        if t.flags.contains(.owner) { flags.append("owner") }
        if let f = F.collapsed(flags) { to.appendNew("flags", f) }
        emit(F.object("table", .object(to)))

        for o in t.objects {
            if let j = object(o, table: t) { emit(j) }
        }
        for s in t.sets where !s.isAnonymous {
            emit(set(s, interfaces: interfaces))
        }
        for f in t.flowtables {
            emit(flowtable(f))
        }
        for c in t.chains where !c.flags.contains(.binding) {
            emit(chain(c, family: t.family))
        }
        let decompiler = NFTDecompiler(table: t)
        var writer = NFTJSONRuleWriter(interfaces: interfaces, family: t.family)
        let bound = NFTTextRenderer.boundChains(of: t)
        for c in t.chains where !c.flags.contains(.binding) {
            for r in c.rules {
                emit(rule(r, chain: c, table: t, decompiler: decompiler, writer: &writer, bound: bound, interfaces: interfaces))
            }
        }
    }

    static func chain(_ c: Chain, family: Family) -> JSONValue {
        var o = head(family, [("table", .string(c.table)), ("name", .string(c.name)), ("handle", F.int(c.handle))])
        if let b = c.base {
            // nft 1.0.6 lists no `dev` for netdev chains in JSON (only in text).
            o.appendNew("type", .string(b.type ?? "filter"))
            o.appendNew("hook", .string(NFTTextRenderer.hookName(b.hook, family: family)))
            o.appendNew("prio", .int(Int64(b.priority)))
            o.appendNew("policy", .string((b.policy ?? .accept).name))
        }
        return F.object("chain", .object(o))
    }

    static func rule(
        _ r: Rule, chain: Chain, table: Table, decompiler: NFTDecompiler, writer: inout NFTJSONRuleWriter,
        bound: [String: Chain] = [:], interfaces: [UInt32: String] = [:]
    ) -> JSONValue {
        var o = head(
            table.family,
            [("table", .string(table.name)), ("chain", .string(chain.name)), ("handle", F.int(r.handle))])
        let ast = decompiler.decompile(r)
        if let c = ast.comment { o.appendNew("comment", .string(c)) }
        writer.reset(for: r)
        var exprs: [JSONValue] = []
        exprs.reserveCapacity(ast.statements.count)
        for s in ast.statements {
            // nft 1.0.6 has no JSON for a jump to an anonymous chain: it prints
            // the statement's text as a string (`"jump {\n\t\t\taccept\n\t\t}"`).
            if case .verdict(let v) = s, let name = v.chain, let bc = bound[name] {
                let printer = NFTTextPrinter(interfaces: interfaces)
                exprs.append(
                    .string(
                        NFTTextRenderer.boundChainText(
                            v.name, bc, table: table, decompiler: decompiler, printer: printer, bound: bound, depth: 2)))
                continue
            }
            exprs.append(writer.stmt(s))
        }
        if !exprs.isEmpty { o.appendNew("expr", .array(exprs)) }
        return F.object("rule", .object(o))
    }

    /// `obj_print_json`.
    static func object(_ obj: NamedObject, table: Table) -> JSONValue? {
        var o = head(
            obj.family, [("name", .string(obj.name)), ("table", .string(obj.table)), ("handle", F.int(obj.handle))])
        if let c = obj.comment { o.appendNew("comment", .string(c)) }
        let key: String
        switch obj.kind {
        case .counter(let p, let b):
            key = "counter"
            o.appendNew("packets", F.int(p))
            o.appendNew("bytes", F.int(b))
        case .quota(let bytes, let used, let flags):
            key = "quota"
            o.appendNew("bytes", F.int(bytes))
            o.appendNew("used", F.int(used))
            o.appendNew("inv", .bool(flags & 1 != 0))
        case .limit(let rate, let unit, let burst, let type, let flags):
            key = "limit"
            var r = rate
            var b = UInt64(burst)
            var rateUnit: String?
            var burstUnit: String?
            if type == 1 {
                (r, rateUnit) = NFTTextPrinter.rate(rate)
                (b, burstUnit) = NFTTextPrinter.rate(UInt64(burst))
            }
            o.appendNew("rate", F.int(r))
            o.appendNew("per", .string(NFTJSONRuleWriter.timeUnits[unit] ?? "error"))
            if flags & 1 != 0 { o.appendNew("inv", .bool(true)) }
            if let rateUnit { o.appendNew("rate_unit", .string(rateUnit)) }
            if b != 0 {
                o.appendNew("burst", F.int(b))
                if let burstUnit { o.appendNew("burst_unit", .string(burstUnit)) }
            }
        case .ctHelper(let name, let l3, let l4):
            key = "ct helper"
            o.appendNew("type", .string(name))
            o.appendNew("protocol", F.symbolic(UInt64(l4), NFTFormat.protocols))
            o.appendNew("l3proto", .string(l3 == 2 ? "ip" : l3 == 10 ? "ip6" : l3 == 1 ? "inet" : Family(nfproto: UInt32(l3)).name))
        case .other:
            if let e = obj.ctExpectation {
                key = "ct expectation"
                o.appendNew("protocol", F.symbolic(UInt64(e.l4proto), NFTFormat.protocols))
                o.appendNew("dport", F.int(UInt64(e.dport)))
                o.appendNew("timeout", F.int(UInt64(e.timeout)))
                o.appendNew("size", F.int(UInt64(e.size)))
                o.appendNew(
                    "l3proto",
                    .string(e.l3proto == 2 ? "ip" : e.l3proto == 10 ? "ip6" : Family(nfproto: UInt32(e.l3proto)).name))
            } else if let p = obj.synproxy {
                key = "synproxy"
                o.appendNew("mss", F.int(UInt64(p.mss)))
                o.appendNew("wscale", F.int(UInt64(p.wscale)))
                var flags: [JSONValue] = []
                if p.flags & 8 != 0 { flags.append(.string("timestamp")) }
                if p.flags & 4 != 0 { flags.append(.string("sack-perm")) }
                if !flags.isEmpty { o.appendNew("flags", .array(flags)) }
            } else {
                // Object types the model does not decode (ct timeout, secmark, …).
                return nil
            }
        }
        return F.object(key, .object(o))
    }

    /// `set_dtype_json`: one type name, or a list for a concatenation.
    static func typeJSON(_ t: NFTDatatype) -> JSONValue {
        if case .concat(let parts) = t { return .array(parts.map { .string($0.name) }) }
        return .string(t.name)
    }

    static let objectTypeNames: [UInt32: String] = [
        1: "counter", 2: "quota", 3: "ct helper", 4: "limit", 7: "ct timeout", 8: "secmark", 9: "ct expectation",
        10: "synproxy",
    ]

    /// `set_print_json` (1.0.6).
    /// The key type nft 1.0.6 names in JSON. A `typeof` key with a part whose
    /// type depends on the protocol (`ct original proto-dst`) is recorded in
    /// the kernel's key type as invalid (0); nft 1.0.6 then names only the
    /// components before it (`"type": "ipv4_addr"` for `ip saddr . ct original
    /// proto-dst`), though its text lists the whole `typeof`.
    static func jsonKeyType(of s: NFTSet) -> NFTDatatype {
        let t = NFTSetElements.keyType(of: s)
        guard let key = NFTSetElements.typeof(of: s).key, key.parts.count > 1, let id = s.keyType, id != 0 else { return t }
        var parts = [NFTDatatype(id: id)]
        if case .concat(let p) = parts[0] { parts = p }
        // A leading invalid component leaves no bits in the id: fewer components.
        if parts.count == key.parts.count, !parts.contains(.invalid) { return t }
        let kept = Array(parts.prefix { $0 != .invalid })
        if kept.isEmpty { return t }
        return kept.count == 1 ? kept[0] : .concat(kept)
    }

    static func set(_ s: NFTSet, interfaces: [UInt32: String]) -> JSONValue {
        var o = head(
            s.family,
            [("name", .string(s.name)), ("table", .string(s.table)), ("type", typeJSON(jsonKeyType(of: s))),
             ("handle", F.int(s.handle))])
        if let c = s.userdata.flatMap(NFTUserdata.setComment) { o.appendNew("comment", .string(c)) }
        // (`auto-merge` is not part of nft 1.0.6's set JSON.)
        let isMap: Bool
        if s.isMap {
            isMap = true
            // 1.0.6 names the data type as one string, even a concatenation.
            o.appendNew("map", .string(s.isVerdictMap ? "verdict" : NFTDatatype(id: s.dataType ?? 0).name))
        } else if s.flags.contains(.object) {
            isMap = true
            o.appendNew("map", .string(objectTypeNames[s.objectType ?? 0] ?? "unknown"))
        } else {
            isMap = false
        }
        if !s.flags.contains(.constant) {
            if let p = s.policy, p == 1 { o.appendNew("policy", "memory") }
            if let size = s.size, size > 0 { o.appendNew("size", F.int(size)) }
        }
        var flags: [JSONValue] = []
        if s.flags.contains(.constant) { flags.append("constant") }
        if s.flags.contains(.interval) { flags.append("interval") }
        if s.flags.contains(.timeout) { flags.append("timeout") }
        if !flags.isEmpty { o.appendNew("flags", .array(flags)) }
        if let t = s.timeout, t > 0 { o.appendNew("timeout", F.int(t / 1000)) }
        if let g = s.gcInterval, g > 0 { o.appendNew("gc-interval", F.int(g / 1000)) }
        if !s.elements.isEmpty {
            let elems = NFTSetElements.elements(of: s, decompiler: nil)
            if !elems.isEmpty {
                var w = NFTJSONRuleWriter(interfaces: interfaces, family: s.family)
                var items: [JSONValue] = []
                items.reserveCapacity(elems.count)
                for e in elems { items.append(w.expr(e)) }
                o.appendNew("elem", .array(items))
            }
        }
        let setStmts = NFTDecompiler.statements(s.expressions, family: s.family)
        if !setStmts.isEmpty {
            // Set-level statements are templates: printed without state.
            var w = NFTJSONRuleWriter(interfaces: interfaces, family: s.family)
            w.stateless = true
            var list: [JSONValue] = []
            for st in setStmts { list.append(w.stmt(st)) }
            o.appendNew("stmt", .array(list))
        }
        return F.object(isMap ? "map" : "set", .object(o))
    }

    /// `flowtable_print_json`.
    static func flowtable(_ f: Flowtable) -> JSONValue {
        var o = head(
            f.family, [("name", .string(f.name)), ("table", .string(f.table)), ("handle", F.int(f.handle))])
        o.appendNew("hook", .string(f.hook?.name ?? "ingress"))
        o.appendNew("prio", .int(Int64(f.priority ?? 0)))
        if f.devices.count == 1 {
            o.appendNew("dev", .string(f.devices[0]))
        } else if f.devices.count > 1 {
            o.appendNew("dev", .array(f.devices.map { .string($0) }))
        }
        return F.object("flowtable", .object(o))
    }
}
