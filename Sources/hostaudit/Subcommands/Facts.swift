import ArgumentParser
import Foundation
import HostAuditCore
import HostAuditLinux

/// What `hostaudit facts` can print: one category, or all of them.
struct FactsTopic: ExpressibleByArgument, Sendable {
    /// nil: all.
    var category: FactCategory?

    static let all = FactsTopic(category: nil)

    init(category: FactCategory?) { self.category = category }

    init?(argument: String) {
        if argument == "all" {
            self = .all
        } else if let c = FactCategory(rawValue: argument) {
            self.init(category: c)
        } else {
            return nil
        }
    }

    var categories: [FactCategory] { category.map { [$0] } ?? FactCategory.allCases }

    static var allValueStrings: [String] { FactCategory.allCases.map(\.rawValue) + ["all"] }
    static var defaultCompletionKind: CompletionKind { .list(allValueStrings) }
    var defaultValueDescription: String { category?.rawValue ?? "all" }
}

struct Facts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "facts",
        abstract: "Print the facts hostaudit collects, as policies see them.",
        discussion: """
            The JSON paths printed here (e.g. resolver.resolv_conf.options.ndots) are the paths \
            policy rules read. The text format shows the same tree for people.
            """
    )

    @Argument(help: "Which facts to collect.")
    var topic: FactsTopic = .all

    @OptionGroup var rootOption: RootOption

    @Option(help: "Output format.")
    var format: FactsFormat = .text

    @Option(
        name: .customLong("cpu-interval"),
        help: "processes: seconds between the two CPU samples (0 disables the CPU sample).")
    var cpuInterval: Double = 0.5

    @Option(
        name: .customLong("sweep-pid-max"),
        help: ArgumentHelp("processes: probe pids below this value instead of kernel.pid_max (benchmarks).", visibility: .hidden))
    var sweepPidMax: Int?

    @Option(
        name: .customLong("sysctl-config-root"),
        help: ArgumentHelp(
            "kernel: read the sysctl configuration files below DIR while reading the live values from this kernel "
                + "(compare a prepared tree with the running kernel).", valueName: "DIR"))
    var sysctlConfigRoot: String?

    @Flag(name: .customLong("no-hidden-sweep"), help: "processes: skip the hidden-pid sweep.")
    var noHiddenSweep = false

    @OptionGroup var signatureOption: SignatureOption

    @OptionGroup var evidenceOption: EvidenceOption

    @OptionGroup var diagnostics: DiagnosticsOption

    func validate() throws {
        guard cpuInterval >= 0 && cpuInterval <= 60 else {
            throw ValidationError("--cpu-interval must be between 0 and 60 seconds")
        }
        if let p = sweepPidMax, p < 2 || p > 4_194_304 {
            throw ValidationError("--sweep-pid-max must be between 2 and 4194304")
        }
    }

    func run() async throws {
        let scope = try Facts.scope(for: rootOption.root)
        var processOptions = ProcessCollectionOptions(
            cpuInterval: cpuInterval, hiddenSweep: !noHiddenSweep, sweepPidMax: sweepPidMax)
        processOptions.signatures = signatureOption.request.scanOptions(byDefault: false, also: evidenceOption.directory != nil)
        var collector = FactsCollector(scope: scope, processOptions: processOptions)
        if let dir = sysctlConfigRoot { collector.sysctlConfigScope = try Facts.scope(for: dir, option: "--sysctl-config-root") }
        let collected = collector.collectSections(topic.categories)
        // Freeing a scan's facts (hundreds of thousands of objects) just before exit is work for nothing.
        Output.keepUntilExit(collected)
        // The tree is built only where something reads it (evidence selection, the text format).
        let tree: JSONValue? = evidenceOption.directory != nil || format == .text ? collected.document().json() : nil
        if let dir = evidenceOption.directory, let tree { try Self.keepEvidence(tree, directory: dir, scope: scope) }
        switch format {
        case .json:
            collected.writeJSON(to: Output.writeToStandardOutput)
        case .text:
            Output.write(FactsTextRenderer().render(tree ?? collected.document().json()))
        }
    }

    /// Without policies, the processes a signature matched are the ones kept.
    static func keepEvidence(_ document: JSONValue, directory dir: String, scope: CollectionScope) throws {
        let requests = EvidenceSelection.requests(forSignatureMatchesIn: document)
        do {
            let manifest = try EvidenceWriter(directory: dir, scope: scope).write(requests)
            Output.error(
                "hostaudit: evidence: \(manifest.files.count) files kept in \(TerminalText.escape(dir)), "
                    + "\(manifest.skipped.count) skipped; see manifest.json")
        } catch {
            Output.error("hostaudit: " + TerminalText.escape(error.description))
            throw ExitStatus.couldNotRun
        }
    }

    /// Validates `--root`: it must be a directory; otherwise the run cannot start (exit 3).
    static func scope(for root: String?, option: String = "--root") throws -> CollectionScope {
        guard let root else { return .live }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDir), isDir.boolValue else {
            Output.error("hostaudit: \(option) \(TerminalText.escape(root)): not a directory")
            throw ExitStatus.couldNotRun
        }
        let absolute = root.hasPrefix("/") ? root : FileManager.default.currentDirectoryPath + "/" + root
        return CollectionScope(root: absolute)
    }
}
