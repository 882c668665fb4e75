import Dispatch
import Foundation
import HostAuditCore
import Logging
import Synchronization

/// Why a collector's section holds no facts.
enum CollectorFailure: Sendable, Equatable {
    /// The collector reported an error in its section (`error`).
    case failed(String)
    /// The collector did not finish within its budget (its thread is abandoned).
    case overran(budget: Double)
    /// A live-kernel collector in an audit below `--root`: unavailable by design, not a failure.
    case notApplicableBelowRoot(String)

    var message: String {
        switch self {
        case .failed(let m), .notApplicableBelowRoot(let m): return m
        case .overran(let budget): return "did not finish within its \(AuditCollection.format(budget)) s budget"
        }
    }
}

extension FactCategory {
    /// Categories whose collectors read only the running kernel (netfilter,
    /// sockets, processes, taint and modules, exposure): below `--root` they
    /// read nothing and say so.
    var readsOnlyTheRunningKernel: Bool {
        switch self {
        case .firewall, .sockets, .processes, .kernel, .exposure: return true
        case .selinux, .resolver, .persistence: return false
        }
    }
}

/// Runs the collectors concurrently, each within a time budget. A collector
/// that fails or overruns becomes an `error` finding; the rest still arrives.
package struct AuditCollection: Sendable {
    package var scope: CollectionScope
    package var processOptions: ProcessCollectionOptions
    package var budget: Double

    package init(scope: CollectionScope, processOptions: ProcessCollectionOptions, budget: Double) {
        self.scope = scope
        self.processOptions = processOptions
        self.budget = budget
    }

    /// Resumes a continuation once, whichever of the collector and the budget's timer comes first.
    final class Once: Sendable {
        let continuation = Mutex<CheckedContinuation<JSONValue?, Never>?>(nil)
        func resume(_ v: JSONValue?) {
            continuation.withLock { c in
                let taken = c
                c = nil
                return taken
            }?.resume(returning: v)
        }
    }

    /// One category, or nil when it overran its budget (the thread is abandoned).
    func collect(_ category: FactCategory) async -> JSONValue? {
        let collector = FactsCollector(scope: scope, processOptions: processOptions)
        let once = Once()
        let budget = self.budget
        let start = ContinuousClock.now
        let value = await withCheckedContinuation { (c: CheckedContinuation<JSONValue?, Never>) in
            once.continuation.withLock { $0 = c }
            Thread.detachNewThread {
                let doc = collector.collect([category])
                once.resume(doc.sections.first?.value ?? .null)
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + budget) { once.resume(nil) }
        }
        if value == nil {
            let ms = Diagnostics.milliseconds(since: start)
            Diagnostics.collect.debug("collector \(category.rawValue): abandoned after its \(Self.format(budget)) s budget (\(ms) ms)")
        }
        return value
    }

    /// Why a section holds no facts (nil: it does).
    func failure(_ category: FactCategory, _ value: JSONValue?) -> CollectorFailure? {
        guard let value else { return .overran(budget: budget) }
        guard let cause = value["error"]?.stringValue else { return nil }
        if !scope.isLive && category.readsOnlyTheRunningKernel { return .notApplicableBelowRoot(cause) }
        return .failed(cause)
    }

    /// The facts document and one `error` finding per collector that failed or overran.
    package func run(_ categories: [FactCategory] = FactCategory.allCases) async -> (facts: FactsDocument, errors: [Finding]) {
        var values: [FactCategory: JSONValue?] = [:]
        await withTaskGroup(of: (FactCategory, JSONValue?).self) { group in
            for c in categories { group.addTask { (c, await collect(c)) } }
            for await (c, v) in group { values[c] = v }
        }
        var sections: [(category: FactCategory, value: JSONValue)] = []
        var errors: [Finding] = []
        for c in categories {
            let v = values[c] ?? nil
            let failure = failure(c, v)
            var value = v ?? .null
            let cause: String
            switch failure {
            case nil:
                sections.append((c, value))
                continue
            case .notApplicableBelowRoot:
                sections.append((c, value))
                continue
            case .failed(let m):
                cause = m
            case .overran:
                cause = "the \(c.rawValue) collector " + failure!.message
                value = .object(JSONObject([("error", .string(cause))]))
            }
            sections.append((c, value))
            errors.append(
                Finding(
                    rule: "collector-\(c.rawValue)", policy: "hostaudit", title: "The \(c.rawValue) facts could not be collected",
                    severity: .medium, status: .error,
                    evidence: [.object(JSONObject([("kind", "collector"), ("path", .string(c.rawValue)), ("detail", .string(cause))]))],
                    remediation: "Rules over \(c.rawValue) facts report unknown; run again as root, or investigate the cause.",
                    detail: cause))
        }
        return (FactsDocument(root: scope.isLive ? nil : scope.root, sections: sections), errors)
    }

    package static func format(_ d: Double) -> String { d == d.rounded() ? String(Int(d)) : String(d) }
}
