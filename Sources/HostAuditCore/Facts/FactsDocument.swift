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
        var o = JSONObject()
        o["schema"] = .string(Self.schema)
        // The live host is root "/"; `live` says whether kernel facts were read.
        o["root"] = .string(root ?? "/")
        o["live"] = .bool(root == nil)
        for (category, value) in sections { o[category.rawValue] = value }
        return .object(o)
    }

    /// A section for a collector that could not run at all: the rest of the
    /// document still arrives.
    public static func errorSection(_ error: any Error) -> JSONValue {
        .object(JSONObject([("error", .string("\(error)"))]))
    }

    public static func == (lhs: FactsDocument, rhs: FactsDocument) -> Bool { lhs.json() == rhs.json() }
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
