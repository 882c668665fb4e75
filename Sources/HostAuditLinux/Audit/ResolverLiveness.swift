import HostAuditCore
import Logging

/// `resolver.liveness`: each effective name server asked for the root's NS
/// records, and whether any answered. Sends DNS queries: only when probes are allowed.
enum ResolverLiveness {
    static func probe(scope: CollectionScope, timeout: Double) async -> JSONValue {
        let servers = ResolverCollector(scope: scope).collect().glibcNameservers
        let start = ContinuousClock.now
        let results = await Task.detached { DNSProber(timeout: min(timeout, 3)).liveness(servers: servers) }.value
        Diagnostics.collect.debug(
            "resolver liveness: \(servers.count) name server(s) asked in \(Diagnostics.milliseconds(since: start)) ms")
        let items: [JSONValue] = results.map { r in
            .object(
                JSONObject([
                    ("server", .string(r.server)), ("status", .string(r.status.rawValue)),
                    ("elapsed_ms", r.queries.first.map { .double(($0.elapsedMs * 10).rounded() / 10) } ?? .null),
                ]))
        }
        let answering = results.contains { r in r.queries.contains { $0.rcode != nil || $0.status.isAnswer } }
        return .object(JSONObject([("answering", .bool(answering)), ("servers", .array(items))]))
    }
}

extension FactsDocument {
    /// Adds `resolver.liveness` to the resolver section (when it was collected as an object).
    mutating func addResolverLiveness(_ liveness: JSONValue) {
        guard let i = sections.firstIndex(where: { $0.category == .resolver }), case .object(var resolver) = sections[i].value
        else { return }
        resolver["liveness"] = liveness
        sections[i].value = .object(resolver)
    }
}
