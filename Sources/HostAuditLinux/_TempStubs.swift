import HostAuditCore
public struct SELinuxCollector { public init(scope: CollectionScope) {}; public func collect() -> JSONValue { ["enabled": false] } }
public struct ResolverCollector { public init(scope: CollectionScope) {}; public func collect() -> JSONValue { ["x": "a\u{1b}[31mb"] } }
