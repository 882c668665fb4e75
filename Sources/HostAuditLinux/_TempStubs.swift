import HostAuditCore
public struct ResolverCollector { public init(scope: CollectionScope) {}; public func collect() -> JSONValue { ["x": "a\u{1b}[31mb"] } }
