/// The fact categories `hostaudit facts` can print, in the order `all` prints them.
/// A category appears here only once its collector exists.
public enum FactCategory: String, CaseIterable, Sendable, Codable {
    case selinux
    case resolver
    case firewall
    case processes
    case sockets
    case persistence
    case kernel
    case exposure
}

/// Where facts are read from: the running host, or a mounted image/chroot
/// below `root` (then live-kernel facts are unavailable, never read from the
/// machine running hostaudit).
public struct CollectionScope: Sendable, Equatable {
    /// "/" for the live host.
    public var root: String
    public var isLive: Bool { root == "/" }

    public init(root: String = "/") {
        var r = root
        while r.count > 1 && r.hasSuffix("/") { r.removeLast() }
        self.root = r.isEmpty ? "/" : r
    }

    public static let live = CollectionScope()
}

/// A complete `hostaudit.facts/v1` document.
public struct FactsDocument: Sendable, Equatable {
    public static let schema = "hostaudit.facts/v1"

    public var root: String?
    public var sections: [(category: FactCategory, value: JSONValue)]

    public init(root: String?, sections: [(category: FactCategory, value: JSONValue)]) {
        self.root = root
        self.sections = sections
    }

    public func json() -> JSONValue {
        JSONTreeEmitter.build { e in Self.emit(root: root, sections: sections, into: &e) { v, e in e.value(v) } }
    }

    /// The document's members, the one description of them for the tree
    /// (`json()`) and for the bytes written straight from collected facts
    /// (`CollectedFacts.writeJSON`). A category given twice keeps its first
    /// position and its last value, as setting an object's key does.
    static func emit<E: JSONEmitter, Value>(
        root: String?, sections: [(category: FactCategory, value: Value)], into e: inout E,
        section: (Value, inout E) -> Void
    ) {
        e.beginObject()
        e.key("schema"); e.string(schema)
        // The live host is root "/"; `live` says whether kernel facts were read.
        e.key("root"); e.string(root ?? "/")
        e.key("live"); e.bool(root == nil)
        var seen: Set<FactCategory> = []
        for (category, _) in sections where seen.insert(category).inserted {
            guard let last = sections.last(where: { $0.category == category }) else { continue }
            e.key(category.rawValue)
            section(last.value, &e)
        }
        e.endObject()
    }

    /// A section for a collector that could not run at all: the rest of the
    /// document still arrives.
    public static func errorSection(_ error: any Error) -> JSONValue {
        .object(JSONObject([("error", .string("\(error)"))]))
    }

    public static func == (lhs: FactsDocument, rhs: FactsDocument) -> Bool { lhs.json() == rhs.json() }
}

/// One section as its collector produced it: a tree, or the process facts,
/// whose list (the bulk of a scan) `facts --format json` writes straight to
/// bytes without building a tree first.
package enum FactsSection: Sendable {
    case tree(JSONValue)
    case processes(ProcessesFacts)

    package var json: JSONValue {
        switch self {
        case .tree(let v): return v
        case .processes(let p): return JSONValueEncoder().encodeValue(p)
        }
    }
}

/// The sections of a facts document as collected, before they become one tree.
package struct CollectedFacts: Sendable {
    package var root: String?
    package var sections: [(category: FactCategory, value: FactsSection)]

    package init(root: String?, sections: [(category: FactCategory, value: FactsSection)]) {
        self.root = root
        self.sections = sections
    }

    package func document() -> FactsDocument {
        FactsDocument(root: root, sections: sections.map { ($0.category, $0.value.json) })
    }

    /// The document's JSON text and its final newline: byte for byte
    /// `JSONWriter().document(document().json())`, handed to `sink` in
    /// pieces of about 64 KiB (the process list in shares written on
    /// several threads), never held whole.
    package func writeJSON(to sink: @escaping @Sendable (UnsafeBufferPointer<UInt8>) -> Void) {
        var e = JSONByteEmitter(sink: sink)
        FactsDocument.emit(root: root, sections: sections, into: &e) { section, e in
            switch section {
            case .tree(let v): e.value(v)
            case .processes(let p): p.writeJSON(into: &e)
            }
        }
        e.appendRaw([UInt8(ascii: "\n")])
        e.flush()
    }
}

/// A line in a host file that could not be parsed, or was parsed but ignored.
public struct FileProblem: Sendable, Equatable, Codable {
    public var path: String
    public var line: Int?
    public var text: String?
    public var problem: String

    public init(path: String, line: Int?, text: String?, problem: String) {
        self.path = path
        self.line = line
        self.text = text
        self.problem = problem
    }
}
