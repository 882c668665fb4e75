import Foundation

/// A dotted path into a facts document, split once at load time.
///
/// `resolver.resolv_conf.nameservers` names a value; a numeric component
/// indexes an array (`…nameservers.0.address`); `*` stands for every value of
/// a map (`firewall.hooks.*`) and may appear only in a quantifier's path.
package struct FactPath: Sendable, Hashable, CustomStringConvertible {
    package enum Component: Sendable, Hashable {
        case key(String)
        case index(Int)
        case wildcard
    }

    package let components: [Component]
    package let text: String

    package var description: String { text }
    var hasWildcard: Bool { components.contains(.wildcard) }

    package init(components: [Component], text: String) {
        self.components = components
        self.text = text
    }

    /// Parses `text`; returns why it is not a path otherwise.
    package static func parse(_ text: String) -> Result<FactPath, PathSyntaxError> {
        if text.isEmpty { return .failure(PathSyntaxError(message: "empty path", offset: 0)) }
        var components: [Component] = []
        var offset = 0
        for raw in text.split(separator: ".", omittingEmptySubsequences: false) {
            let part = String(raw)
            if part.isEmpty {
                return .failure(PathSyntaxError(message: "empty component in path '\(text)'", offset: offset))
            }
            if part.hasSuffix("[]") {
                return .failure(
                    PathSyntaxError(
                        message:
                            "'[]' selects every item of an array; use a quantifier (any, all, none, count) over "
                            + "'\(text.components(separatedBy: "[]").first ?? text)' and a relative path in 'where'",
                        offset: offset + part.count - 2))
            }
            if let bad = part.unicodeScalars.first(where: { $0.value < 0x21 || $0 == "[" || $0 == "]" }) {
                return .failure(
                    PathSyntaxError(message: "invalid character \(bad.escaped(asASCII: true)) in path '\(text)'", offset: offset))
            }
            if part == "*" {
                components.append(.wildcard)
            } else if part.allSatisfy(\.isASCIIDigit), let i = Int(part) {
                components.append(.index(i))
            } else {
                components.append(.key(part))
            }
            offset += part.count + 1
        }
        return .success(FactPath(components: components, text: text))
    }

    /// The first component (the fact category for absolute paths).
    package var category: String? {
        if case .key(let k)? = components.first { return k }
        return nil
    }

    /// Follows the path from `root`; nil when a component is absent or the
    /// value on the way is not a container. Wildcards are not followed here.
    @inline(__always)
    package func resolve(in root: JSONValue) -> JSONValue? {
        var current = root
        for c in components {
            switch c {
            case .key(let k):
                guard case .object(let o) = current, let next = o[k] else { return nil }
                current = next
            case .index(let i):
                guard case .array(let a) = current, a.indices.contains(i) else { return nil }
                current = a[i]
            case .wildcard:
                return nil
            }
        }
        return current
    }

    /// Follows the path with wildcards expanded: every value reached, with its concrete path.
    func resolveAll(in root: JSONValue, prefix: String = "") -> [(path: String, value: JSONValue?)] {
        var frontier: [(String, JSONValue?)] = [(prefix, root)]
        for c in components {
            var next: [(String, JSONValue?)] = []
            for (p, v) in frontier {
                func join(_ s: String) -> String { p.isEmpty ? s : p + "." + s }
                switch c {
                case .key(let k):
                    if case .object(let o)? = v { next.append((join(k), o[k])) } else { next.append((join(k), nil)) }
                case .index(let i):
                    if case .array(let a)? = v, a.indices.contains(i) {
                        next.append((join(String(i)), a[i]))
                    } else {
                        next.append((join(String(i)), nil))
                    }
                case .wildcard:
                    if case .object(let o)? = v {
                        for (k, value) in o.entries { next.append((join(k), value)) }
                    } else if case .array(let a)? = v {
                        for (i, value) in a.enumerated() { next.append((join(String(i)), value)) }
                    } else {
                        next.append((join("*"), nil))
                    }
                }
            }
            frontier = next
        }
        return frontier
    }
}

package struct PathSyntaxError: Error, Sendable, Equatable {
    package var message: String
    /// Offset in Unicode scalars from the start of the path.
    package var offset: Int
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
