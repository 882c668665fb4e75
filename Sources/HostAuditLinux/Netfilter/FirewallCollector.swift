import HostAuditCore

/// Collects the `firewall` facts from the running kernel. Never throws: a
/// missing capability or a failed dump becomes `available: false` with the reason.
public struct FirewallCollector: Sendable {
    public let scope: CollectionScope
    public let reader: NetfilterReader

    public init(scope: CollectionScope, reader: NetfilterReader = NetfilterReader()) {
        self.scope = scope
        self.reader = reader
    }

    public func collect() -> FirewallFacts {
        guard scope.isLive else {
            return .unavailable(
                "netfilter is kernel state: not read when auditing a root directory (--root)")
        }
        do {
            return FirewallFacts(snapshot: try reader.snapshot())
        } catch {
            return .unavailable("\(error)")
        }
    }
}
