import HostAuditCore
import Logging

/// Runs the collectors for the requested fact categories and assembles a
/// `hostaudit.facts/v1` document. A collector never aborts the document: its
/// failure is reported inside its own section.
public struct FactsCollector: Sendable {
    public let scope: CollectionScope

    /// Options for the `processes` section (CPU interval, hidden-pid sweep).
    public var processOptions: ProcessCollectionOptions

    /// Where `kernel.sysctl` reads the configuration files; nil: below `scope`.
    public var sysctlConfigScope: CollectionScope? = nil

    public init(scope: CollectionScope) {
        self.scope = scope
        self.processOptions = .init()
    }

    public init(scope: CollectionScope, processOptions: ProcessCollectionOptions) {
        self.scope = scope
        self.processOptions = processOptions
    }

    public func collect(_ categories: [FactCategory]) -> FactsDocument {
        collectSections(categories).document()
    }

    /// The sections as collected (the process facts not yet a tree), for
    /// writing the JSON document straight from them.
    package func collectSections(_ categories: [FactCategory]) -> CollectedFacts {
        let encoder = JSONValueEncoder()
        var sections: [(category: FactCategory, value: FactsSection)] = []
        for category in categories {
            let start = ContinuousClock.now
            let section: FactsSection
            switch category {
            case .selinux:
                section = .tree(encoder.encodeValue(SELinuxCollector(scope: scope).collect()))
            case .resolver:
                section = .tree(encoder.encodeValue(ResolverCollector(scope: scope).collect()))
            case .firewall:
                section = .tree(encoder.encodeValue(FirewallCollector(scope: scope).collect()))
            case .processes:
                section = .processes(ProcessCollector(scope: scope, options: processOptions).collect())
            case .sockets:
                section = .tree(encoder.encodeValue(SocketCollector(scope: scope).collect()))
            case .persistence:
                var persistence = PersistenceCollector(scope: scope)
                persistence.signatures = processOptions.signatures
                section = .tree(encoder.encodeValue(persistence.collect()))
            case .kernel:
                section = .tree(encoder.encodeValue(KernelCollector(scope: scope, sysctlConfigScope: sysctlConfigScope).collect()))
            case .exposure:
                section = .tree(encoder.encodeValue(ExposureCollector(scope: scope).collect()))
            }
            sections.append((category, section))
            Diagnostics.collect.debug("collector \(category.rawValue): \(Diagnostics.milliseconds(since: start)) ms")
            if !scope.isLive && category.readsOnlyTheRunningKernel {
                Diagnostics.collect.debug("collector \(category.rawValue): live-kernel facts, not read below --root")
            }
        }
        return CollectedFacts(root: scope.isLive ? nil : scope.root, sections: sections)
    }
}
