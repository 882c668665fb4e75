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
            let snapshot = try reader.snapshot()
            // Rule text names interfaces (`oif "eth0"`) as nft does.
            return NFTTextRenderer.$interfaceNames.withValue(InterfaceNames.current()) {
                FirewallFacts(snapshot: snapshot)
            }
        } catch {
            return .unavailable("\(error)")
        }
    }
}
