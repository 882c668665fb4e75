import Foundation
import Synchronization

/// Column caches over a facts document, shared by every rule of one
/// evaluation: a quantifier over 10,000 firewall rules reads each field it
/// tests once (interning strings), and its `where` then runs as a vector
/// operation instead of 10,000 dictionary walks per rule.
final class FactsIndex: Sendable {
    let root: JSONValue
    /// Built collections by path; the cached objects are immutable once built.
    private let collections = Mutex<[String: ItemList?]>([:])

    init(root: JSONValue) { self.root = root }

    /// The items of a collection path, flattened (arrays' elements, maps' values).
    final class ItemList: Sendable {
        let items: [JSONValue]
        /// (collection path, key or index) per item, for evidence.
        let groups: [String]
        let groupOf: [Int32]
        let keys: [String?]
        /// Columns built so far, by field.
        private let columns = Mutex<[String: Column]>([:])

        init(items: [JSONValue], groups: [String], groupOf: [Int32], keys: [String?]) {
            self.items = items
            self.groups = groups
            self.groupOf = groupOf
            self.keys = keys
        }

        func path(_ i: Int) -> String {
            let g = groups[Int(groupOf[i])]
            return keys[i].map { g + "." + $0 } ?? g
        }

        func column(_ field: CompiledSubject) -> Column {
            let key: String
            switch field {
            case .path(let p): key = p.text
            case .item: key = ""
            case .constant: key = "?"
            }
            return columns.withLock { columns in
                if let c = columns[key] { return c }
                let c = Column(items: items, field: field)
                columns[key] = c
                return c
            }
        }
    }

    /// One field of every item: strings interned, everything else kept as is.
    final class Column: Sendable {
        let ids: [Int32]  // intern id, or -1 when not a string
        let table: [String]
        let values: [JSONValue?]  // the value when not a string (nil: absent)

        init(items: [JSONValue], field: CompiledSubject) {
            var ids = [Int32](repeating: -1, count: items.count)
            var values = [JSONValue?](repeating: nil, count: items.count)
            var table: [String] = []
            var intern: [String: Int32] = [:]
            for (i, item) in items.enumerated() {
                let v: JSONValue?
                switch field {
                case .path(let p): v = p.resolve(in: item)
                case .item: v = item
                case .constant(_, let c): v = c
                }
                if case .string(let s)? = v {
                    if let id = intern[s] {
                        ids[i] = id
                    } else {
                        let id = Int32(table.count)
                        intern[s] = id
                        table.append(s)
                        ids[i] = id
                    }
                } else {
                    values[i] = v
                }
            }
            self.ids = ids
            self.table = table
            self.values = values
        }
    }

    func items(_ q: CompiledQuantifier) -> ItemList? {
        if let cached = collections.withLock({ $0[q.path.text] }) { return cached }
        let built = Self.build(q.path, root: root)
        collections.withLock { $0[q.path.text] = built }
        return built
    }

    /// nil when the collection is unknown (null or absent).
    static func build(_ path: FactPath, root: JSONValue) -> ItemList? {
        var groups: [(String, JSONValue)] = []
        if path.hasWildcard {
            for (p, v) in path.resolveAll(in: root) {
                guard let v, v != .null else { continue }
                groups.append((p, v))
            }
            if groups.isEmpty, let first = path.components.firstIndex(of: .wildcard) {
                let head = FactPath(components: Array(path.components[..<first]), text: "")
                let v = head.resolve(in: root)
                if v == nil || v == .null { return nil }
            }
        } else {
            guard let v = path.resolve(in: root), v != .null else { return nil }
            groups.append((path.text, v))
        }
        var items: [JSONValue] = []
        var groupOf: [Int32] = []
        var keys: [String?] = []
        for (g, (_, v)) in groups.enumerated() {
            switch v {
            case .array(let a):
                items.append(contentsOf: a)
                groupOf.append(contentsOf: repeatElement(Int32(g), count: a.count))
                keys.append(contentsOf: a.indices.map { String($0) })
            case .object(let o):
                for (k, value) in o.entries {
                    items.append(value)
                    groupOf.append(Int32(g))
                    keys.append(k)
                }
            default:
                items.append(v)
                groupOf.append(Int32(g))
                keys.append(nil)
            }
        }
        return ItemList(items: items, groups: groups.map(\.0), groupOf: groupOf, keys: keys)
    }
}

/// Outcomes per item: 0 fail, 1 pass, 2 unknown.
enum VectorEvaluator {
    static let fail: UInt8 = 0
    static let pass: UInt8 = 1
    static let unknown: UInt8 = 2

    /// Whether a `where` check can run column-wise (matchers over relative
    /// paths without wildcards, and combinators of them).
    static func supports(_ c: CompiledCheck) -> Bool {
        switch c {
        case .match(let s, _):
            if case .path(let p) = s { return !p.hasWildcard }
            return true
        case .all(let cs), .any(let cs): return cs.allSatisfy(supports)
        case .not(let inner): return supports(inner)
        case .quantified: return false
        }
    }

    static func evaluate(_ c: CompiledCheck, _ list: FactsIndex.ItemList) -> [UInt8] {
        let n = list.items.count
        switch c {
        case .match(let subject, let m):
            let col = list.column(subject)
            var perString = [UInt8](repeating: 0, count: col.table.count)
            for (id, s) in col.table.enumerated() { perString[id] = code(m.test(.string(s))) }
            var out = [UInt8](repeating: 0, count: n)
            col.ids.withUnsafeBufferPointer { ids in
                for i in 0..<n {
                    let id = ids[i]
                    out[i] = id >= 0 ? perString[Int(id)] : code(m.test(col.values[i]))
                }
            }
            return out
        case .all(let cs):
            return combine(cs, list, empty: pass, decisive: fail)
        case .any(let cs):
            return combine(cs, list, empty: fail, decisive: pass)
        case .not(let inner):
            var r = evaluate(inner, list)
            for i in 0..<n where r[i] != unknown { r[i] = r[i] == pass ? fail : pass }
            return r
        case .quantified:
            return [UInt8](repeating: unknown, count: n)
        }
    }

    /// Three-valued AND (`decisive` fail) or OR (`decisive` pass) of the
    /// children, item by item: `empty` with no children, `decisive` once one
    /// child gives it, otherwise unknown if any child is unknown.
    static func combine(_ cs: [CompiledCheck], _ list: FactsIndex.ItemList, empty: UInt8, decisive: UInt8) -> [UInt8] {
        let n = list.items.count
        var out = [UInt8](repeating: empty, count: n)
        for child in cs {
            let r = evaluate(child, list)
            for i in 0..<n where out[i] != decisive {
                if r[i] == decisive { out[i] = decisive } else if r[i] == unknown { out[i] = unknown }
            }
        }
        return out
    }

    @inline(__always) static func code(_ b: Bool?) -> UInt8 {
        switch b {
        case true?: return pass
        case false?: return fail
        case nil: return unknown
        }
    }
}
