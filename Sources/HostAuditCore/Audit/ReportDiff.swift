import Foundation

/// `hostaudit report diff OLD NEW`: whether two recorded reports of one host
/// differ in substance — what a fleet summary or an alert is about — rather
/// than in the parts that change on every run.
///
/// Compared (byte for byte): the host name, the profile and `fail_on`; each
/// finding's severity and status, keyed by `policy/rule`; each egress probe's
/// state and cause, keyed by target, address, port and protocol. Not compared:
/// times, durations, run ids, `changes` (they depend on a state file), and
/// evidence (pids, counters and timings differ on every run). So a host whose
/// failing rule keeps failing for a different process reads as unchanged; one
/// whose rule starts or stops failing, or whose probe ends somewhere else,
/// reads as changed.
package struct ReportDiff: Sendable {
    package static let schema = "hostaudit.diff/v1"

    package enum Kind: String, Sendable { case host, finding, egress }

    package struct Change: Sendable, Equatable {
        package var kind: Kind
        package var key: String
        /// `nil`: absent on that side.
        package var old: String?
        package var new: String?

        package init(kind: Kind, key: String, old: String?, new: String?) {
            self.kind = kind
            self.key = key
            self.old = old
            self.new = new
        }
    }

    package var changes: [Change] = []
    package var same: Bool { changes.isEmpty }

    /// Byte-exact map keys (Swift `String` equality would merge canonically equivalent names).
    struct Key: Hashable, Comparable {
        let bytes: [UInt8]
        init(_ s: String) { bytes = Array(s.utf8) }
        var string: String { String(decoding: bytes, as: UTF8.self) }
        static func < (a: Key, b: Key) -> Bool { a.bytes.lexicographicallyPrecedes(b.bytes) }
    }

    /// The substance of one document: kind → key → value.
    static func substance(_ doc: JSONValue?) -> [Kind: [Key: Key]] {
        var r: [Kind: [Key: Key]] = [.host: [:], .finding: [:], .egress: [:]]
        guard let doc else { return r }
        func s(_ v: JSONValue?) -> String {
            guard let v else { return "?" }
            if let x = v.stringValue { return x }
            if let i = v.intValue { return String(i) }
            if v.isNull { return "null" }
            return "?"
        }
        if let host = doc["host"] {
            r[.host]![Key("hostname")] = Key(s(host["hostname"]))
        }
        if let p = doc["profile"] { r[.host]![Key("profile")] = Key(s(p)) }
        if let f = doc["fail_on"] { r[.host]![Key("fail_on")] = Key(s(f)) }
        for f in doc["findings"]?.arrayValue ?? [] {
            let key = Key("\(s(f["policy"]))/\(s(f["rule"]))")
            let value = "\(s(f["severity"])) \(s(f["status"]))"
            // A rule reported twice keeps both outcomes, in a fixed order.
            if let prior = r[.finding]![key] {
                r[.finding]![key] = Key([prior.string, value].sorted { Key($0) < Key($1) }.joined(separator: ", "))
            } else {
                r[.finding]![key] = Key(value)
            }
        }
        for p in doc["egress"]?.arrayValue ?? doc["probes"]?.arrayValue ?? [] {
            let key = Key("\(s(p["target"])) \(s(p["address"])) \(s(p["port"]))/\(s(p["protocol"]))")
            let value = "\(s(p["state"])) \(s(p["cause"]))"
            if let prior = r[.egress]![key] {
                r[.egress]![key] = Key([prior.string, value].sorted { Key($0) < Key($1) }.joined(separator: ", "))
            } else {
                r[.egress]![key] = Key(value)
            }
        }
        return r
    }

    /// `old == nil`: there was no earlier report (everything in NEW is a change).
    package init(old: JSONValue?, new: JSONValue) {
        let a = Self.substance(old), b = Self.substance(new)
        for kind in [Kind.host, .finding, .egress] {
            let x = a[kind] ?? [:], y = b[kind] ?? [:]
            for key in Set(x.keys).union(y.keys).sorted() where x[key] != y[key] {
                changes.append(Change(kind: kind, key: key.string, old: x[key]?.string, new: y[key]?.string))
            }
        }
    }

    // MARK: Output

    package func json() -> JSONValue {
        .object(
            JSONObject([
                ("schema", .string(Self.schema)),
                ("same", .bool(same)),
                (
                    "changes",
                    .array(
                        changes.map { c in
                            .object(
                                JSONObject([
                                    ("kind", .string(c.kind.rawValue)), ("key", .string(c.key)),
                                    ("old", c.old.map(JSONValue.string) ?? .null), ("new", c.new.map(JSONValue.string) ?? .null),
                                ]))
                        })
                ),
            ]))
    }

    package func text() -> String {
        let e = TerminalText.escape
        if same { return "hostaudit report diff: the same in substance\n" }
        var out = "hostaudit report diff: \(changes.count) change\(changes.count == 1 ? "" : "s")\n"
        for c in changes {
            out += "  \(c.kind.rawValue) \(e(c.key)): \(c.old.map(e) ?? "(absent)") -> \(c.new.map(e) ?? "(absent)")\n"
        }
        return out
    }
}
