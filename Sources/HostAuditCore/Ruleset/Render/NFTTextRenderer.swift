import Foundation

/// Prints a table exactly as `nft list ruleset` (nftables 1.0.6) does:
/// declaration and flags, named objects, named sets and maps, flowtables,
/// then chains with their rules, separated by blank lines (`rule.c`).
public enum NFTTextRenderer {
    /// Interface index → name, for `iif`/`oif` values (nft resolves them on
    /// the host; Core makes no system calls, so the caller supplies them).
    @TaskLocal public static var interfaceNames: [UInt32: String] = [:]
    /// Netlink port id → name of the process owning that socket, for owner
    /// tables (`# progname nft`); nft resolves it through /proc, so the
    /// caller supplies it. An unknown owner prints as nft's `(null)`.
    @TaskLocal public static var processNames: [UInt32: String] = [:]

    public static func render(table: Table, in snapshot: RulesetSnapshot) -> String {
        var s = ""
        render(table: table, into: &s)
        return s
    }

    public static func render(table: Table, into s: inout String) {
        let printer = NFTTextPrinter(interfaces: interfaceNames)
        let decompiler = NFTDecompiler(table: table)
        s += "table \(table.family.name) \(table.name) {"
        if table.flags.contains(.owner) { s += " # progname " + (table.owner.flatMap { processNames[$0] } ?? "(null)") }
        s += "\n"
        var delim = ""
        if !table.flags.isEmpty {
            var names: [String] = []
            if table.flags.contains(.dormant) { names.append("dormant") }
            if table.flags.contains(.owner) { names.append("owner") }
            s += "\tflags " + names.joined(separator: ",") + "\n"
            delim = "\n"
        }
        // nft 1.0.6 separates the flags line from what follows, not the comment.
        if let c = table.comment { s += "\tcomment \"\(c)\"\n" }
        for o in table.objects {
            s += delim
            object(o, into: &s)
            delim = "\n"
        }
        for set in table.sets where !set.isAnonymous {
            s += delim
            NFTSetText.render(set, printer: printer, into: &s)
            delim = "\n"
        }
        for f in table.flowtables {
            s += delim
            flowtable(f, into: &s)
            delim = "\n"
        }
        for c in table.chains where !c.flags.contains(.binding) {
            s += delim
            chain(c, table: table, decompiler: decompiler, printer: printer, into: &s)
            delim = "\n"
        }
        s += "}\n"
    }

    static func chain(_ c: Chain, table: Table, decompiler: NFTDecompiler, printer: NFTTextPrinter, into s: inout String) {
        s += "\tchain \(c.name) {\n"
        if let comment = c.comment { s += "\t\tcomment \"\(comment)\"\n" }
        if let b = c.base {
            s += "\t\ttype \(b.type ?? "filter") hook \(hookName(b.hook, family: table.family))"
            if b.devices.count == 1 {
                s += " device \"\(b.devices[0])\""
            } else if b.devices.count > 1 {
                s += " devices = { " + b.devices.joined(separator: ", ") + " }"
            }
            s += " priority " + priority(b.priority, family: table.family, hook: b.hook) + ";"
            if let p = b.policy { s += " policy \(p.name);" }
            if c.flags.contains(.hardwareOffload) { s += " flags offload;" }
            s += "\n"
        }
        let bound = boundChains(of: table)
        for r in c.rules {
            s += "\t\t"
            s += ruleText(r, table: table, decompiler: decompiler, printer: printer, bound: bound, depth: 2)
            s += "\n"
        }
        s += "\t}\n"
    }

    /// The table's anonymous chains (`NFT_CHAIN_BINDING`), by name: nft lists
    /// them only inside the rule that jumps to them (`jump { … }`).
    static func boundChains(of table: Table) -> [String: Chain] {
        var out: [String: Chain] = [:]
        for c in table.chains where c.flags.contains(.binding) { out[c.name] = c }
        return out
    }

    /// One rule's text; a jump or goto to an anonymous chain prints that
    /// chain's rules in braces, one indentation level deeper than `depth` tabs.
    static func ruleText(
        _ r: Rule, table: Table, decompiler: NFTDecompiler, printer: NFTTextPrinter, bound: [String: Chain], depth: Int
    ) -> String {
        // Only tables holding xt expressions (iptables-nft's, printed in nft
        // syntax on request) have any: their exact nft equivalents, not nft's
        // lossy libxtables translations (`NFTXTTranslation`).
        let ast = NFTXTTranslation.translate(decompiler.decompile(r), rule: r, family: table.family)
        var s = ""
        printer.rule(ast, into: &s)
        guard !bound.isEmpty, depth < 32 else { return s }
        for case .verdict(let v) in ast.statements {
            guard let name = v.chain, let bc = bound[name], let range = s.range(of: v.name + " " + name, options: .backwards)
            else { continue }
            let body = boundChainText(v.name, bc, table: table, decompiler: decompiler, printer: printer, bound: bound, depth: depth)
            s.replaceSubrange(range, with: body)
        }
        return s
    }

    /// `jump {` newline, the chain's rules, `}` at `depth` tabs (`chain_stmt_print`).
    static func boundChainText(
        _ verdict: String, _ c: Chain, table: Table, decompiler: NFTDecompiler, printer: NFTTextPrinter,
        bound: [String: Chain], depth: Int
    ) -> String {
        var body = verdict + " {\n"
        let inner = String(repeating: "\t", count: depth + 1)
        for br in c.rules {
            body += inner
            body += ruleText(br, table: table, decompiler: decompiler, printer: printer, bound: bound, depth: depth + 1)
            body += "\n"
        }
        body += String(repeating: "\t", count: depth) + "}"
        return body
    }

    /// The model numbers hooks the inet way; arp's are NF_ARP_IN 0, OUT 1, FORWARD 2.
    static func hookName(_ h: Hook, family: Family) -> String {
        guard family == .arp else { return h.name }
        switch h {
        case .prerouting: return "input"
        case .input: return "output"
        case .forward: return "forward"
        default: return h.name
        }
    }

    /// `prio2str`: standard priority names within ±10, else the number.
    static func priority(_ prio: Int32, family: Family, hook: Hook) -> String {
        let p = Int(prio)
        let table: [(Int, String)] =
            family == .bridge
            ? [(-300, "dstnat"), (-200, "filter"), (100, "out"), (300, "srcnat")]
            : [(-300, "raw"), (-150, "mangle"), (-100, "dstnat"), (0, "filter"), (50, "security"), (100, "srcnat")]
        for (std, name) in table {
            let off = p - std
            guard abs(off) <= 10 else { continue }
            guard compatible(std, name, family: family, hook: hook) else { break }
            if off > 0 { return "\(name) + \(off)" }
            if off < 0 { return "\(name) - \(-off)" }
            return name
        }
        return String(p)
    }

    static func compatible(_ prio: Int, _ name: String, family: Family, hook: Hook) -> Bool {
        if family == .bridge {
            switch name {
            case "dstnat": return hook == .prerouting
            case "filter": return true
            case "out": return hook == .output
            case "srcnat": return hook == .postrouting
            default: return false
            }
        }
        let ipLike = family == .inet || family == .ip || family == .ip6
        switch name {
        case "filter": return ipLike || family == .arp || family == .netdev
        case "raw", "mangle", "security": return ipLike
        case "dstnat": return ipLike && hook == .prerouting
        case "srcnat": return ipLike && hook == .postrouting
        default: return false
        }
    }

    static func object(_ o: NamedObject, into s: inout String) {
        var s2 = ""
        objectBody(o, into: &s2)
        // nft prints an object's comment first inside its braces.
        if let c = o.comment, let brace = s2.range(of: "{\n") {
            s2.insert(contentsOf: "\t\tcomment \"\(c)\"\n", at: brace.upperBound)
        }
        s += s2
    }

    static func objectBody(_ o: NamedObject, into s: inout String) {
        switch o.kind {
        case .counter(let p, let b):
            s += "\tcounter \(o.name) {\n\t\tpackets \(p) bytes \(b)\n\t}\n"
        case .quota(let bytes, let used, let flags):
            let (q, u) = NFTTextPrinter.rate(bytes)
            s += "\tquota \(o.name) {\n\t\t\(flags & 1 != 0 ? "over " : "")\(q) \(u)"
            if used != 0 {
                let (uq, uu) = NFTTextPrinter.rate(used)
                s += " used \(uq) \(uu)"
            }
            s += "\n\t}\n"
        case .limit(let rate, let unit, let burst, let type, let flags):
            var line = ""
            NFTTextPrinter().stmt(
                .limit(NFTLimit(rate: rate, unit: unit, burst: burst, bytes: type == 1, over: flags & 1 != 0)), into: &line)
            line.removeFirst("limit ".count)
            s += "\tlimit \(o.name) {\n\t\t\(line)\n\t}\n"
        case .ctHelper(let name, let l3, let l4):
            let proto = NFTFormat.protocols[UInt64(l4)] ?? String(l4)
            let l3name = l3 == 2 ? "ip" : l3 == 10 ? "ip6" : l3 == 1 ? "inet" : String(l3)
            s += "\tct helper \(o.name) {\n\t\ttype \"\(name)\" protocol \(proto)\n\t\tl3proto \(l3name)\n\t}\n"
        case .other(let t):
            if let e = o.ctExpectation {
                let proto = NFTFormat.protocols[UInt64(e.l4proto)] ?? String(e.l4proto)
                let l3 = e.l3proto == 2 ? "ip" : e.l3proto == 10 ? "ip6" : e.l3proto == 1 ? "inet" : String(e.l3proto)
                s += "\tct expectation \(o.name) {\n\t\tprotocol \(proto)\n\t\tdport \(e.dport)\n"
                s += "\t\ttimeout \(NFTFormat.time(ms: UInt64(e.timeout)))\n\t\tsize \(e.size)\n\t\tl3proto \(l3)\n\t}\n"
            } else if let p = o.synproxy {
                s += "\tsynproxy \(o.name) {\n\t\tmss \(p.mss)\n\t\twscale \(p.wscale)\n"
                var flags: [String] = []
                if p.flags & 8 != 0 { flags.append("timestamp") }
                if p.flags & 4 != 0 { flags.append("sack-perm") }
                if !flags.isEmpty { s += "\t\t" + flags.joined(separator: " ") + "\n" }
                s += "\t}\n"
            } else {
                s += "\t# object \(o.name) of type \(t)\n"
            }
        }
    }

    static func flowtable(_ f: Flowtable, into s: inout String) {
        s += "\tflowtable \(f.name) {\n"
        s += "\t\thook \(f.hook?.name ?? "ingress") priority \(priority(f.priority ?? 0, family: .netdev, hook: .ingress))\n"
        if !f.devices.isEmpty { s += "\t\tdevices = { " + f.devices.joined(separator: ", ") + " }\n" }
        if f.flags & 1 != 0 { s += "\t\tflags offload\n" }
        s += "\t}\n"
    }
}

/// Set and map declarations (`set_print_declaration`, `do_set_print`).
enum NFTSetText {
    static func render(_ set: NFTSet, printer: NFTTextPrinter, into s: inout String) {
        let keyType = NFTSetElements.keyType(of: set)
        let typeofs = NFTSetElements.typeof(of: set)
        let kind = set.isMap || set.flags.contains(.object) ? "map" : "set"
        s += "\t\(kind) \(set.name) {\n\t\t"
        if let k = typeofs.key {
            s += "typeof "
            printer.expr(k.expr, into: &s)
        } else {
            s += "type \(keyType.name)"
        }
        if set.isMap {
            s += " : "
            if let ud = set.userdata, NFTUserdata.u32(ud, type: 6) == 1 { s += "interval " }
            if typeofs.key != nil, let d = typeofs.data {
                printer.expr(d.expr, into: &s)
            } else {
                s += set.isVerdictMap ? "verdict" : NFTDatatype(id: set.dataType ?? 0).name
            }
        } else if set.flags.contains(.object) {
            let names: [UInt32: String] = [
                1: "counter", 2: "quota", 3: "ct helper", 4: "limit", 7: "ct timeout", 8: "secmark", 9: "ct expectation",
                10: "synproxy",
            ]
            s += " : " + (names[set.objectType ?? 0] ?? "object")
        }
        s += "\n"
        if !set.flags.contains(.constant) {
            if let p = set.policy, p == 1 { s += "\t\tpolicy memory\n" }
            if let size = set.size, size > 0 { s += "\t\tsize \(size)\n" }
        }
        var flags = set.flags
        if let t = set.timeout, t > 0 { flags.remove(.timeout) }
        if !flags.intersection([.constant, .interval, .timeout, .eval]).isEmpty {
            var names: [String] = []
            if set.flags.contains(.constant) { names.append("constant") }
            if set.flags.contains(.eval) { names.append("dynamic") }
            if set.flags.contains(.interval) { names.append("interval") }
            if set.flags.contains(.timeout) { names.append("timeout") }
            s += "\t\tflags " + names.joined(separator: ",") + "\n"
        }
        let setStmts = NFTDecompiler.statements(set.expressions, family: set.family)
        if !setStmts.isEmpty {
            // Set-level statements are templates: printed without state.
            var stateless = printer
            stateless.stateless = true
            s += "\t\t"
            for (i, st) in setStmts.enumerated() {
                if i > 0 { s += " " }
                stateless.stmt(st, into: &s)
            }
            s += "\n"
        }
        if let t = set.timeout, t > 0 { s += "\t\ttimeout " + NFTFormat.time(ms: t) + "\n" }
        if let g = set.gcInterval, g > 0 { s += "\t\tgc-interval " + NFTFormat.time(ms: UInt64(g)) + "\n" }
        if set.userdata.flatMap({ NFTUserdata.u32($0, type: 2) }).map({ $0 != 0 }) == true { s += "\t\tauto-merge\n" }
        if let c = set.userdata.flatMap(NFTUserdata.setComment) { s += "\t\tcomment \"\(c)\"\n" }
        let elems = NFTSetElements.elements(of: set, decompiler: nil)
        if !elems.isEmpty {
            s += "\t\telements = { "
            let perLine = keyType.elementsPerLine
            var count = 0
            for (i, e) in elems.enumerated() {
                if i > 0 {
                    if let per = perLine, count < per {
                        s += ", "
                    } else {
                        s += ",\n\t\t\t     "
                        count = 0
                    }
                }
                printer.expr(e, into: &s)
                count += 1
            }
            s += " }\n"
        }
        s += "\t}\n"
    }
}
