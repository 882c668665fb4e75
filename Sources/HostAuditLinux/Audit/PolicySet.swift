import HostAuditCore

/// Policies that did not load: every line to print (file:line:column: error: …), exit 2.
public struct PolicyLoadFailure: Error, Sendable {
    public var lines: [String]
    public init(lines: [String]) { self.lines = lines }
}

/// Policies, waivers and parameters loaded once and compiled: what `audit`
/// and `policy check` evaluate.
public struct PolicySet: Sendable {
    public var library: PolicyLibrary
    public var engine: PolicyEngine

    /// The host's own parameter overrides, used when no parameter file is among the paths.
    public static let hostParameters = "/etc/hostaudit/params.yaml"

    /// Loads PATHs (files or folders); every problem, with a count of problems and files.
    public static func library(paths: [String]) throws(PolicyLoadFailure) -> PolicyLibrary {
        let lib = PolicyLibrary.load(paths: paths)
        guard lib.errors.isEmpty else {
            let files = Set(lib.errors.map(\.file)).count
            throw PolicyLoadFailure(
                lines: lib.errors.map(\.description)
                    + ["\(lib.errors.count) problem\(lib.errors.count == 1 ? "" : "s") in \(files) file(s)"])
        }
        return lib
    }

    /// Loads and compiles PATHs with the waivers and parameter files among them.
    /// `hostParametersBelow`: when no parameter file is among the PATHs, also
    /// read `/etc/hostaudit/params.yaml` through the confined reader below this scope.
    public static func load(paths: [String], hostParametersBelow scope: CollectionScope?) throws(PolicyLoadFailure) -> PolicySet {
        var lib = try library(paths: paths)
        if lib.parameterFiles.isEmpty, let scope, let local = try readHostParameters(scope: scope, policies: lib.policies) {
            lib.parameters.values.merge(local.values) { $1 }
        }
        do {
            let engine = try PolicyEngine(policies: lib.policies, parameters: lib.parameters, waivers: lib.waivers)
            return PolicySet(library: lib, engine: engine)
        } catch {
            throw PolicyLoadFailure(lines: error.errors.map(\.description))
        }
    }

    /// The host's (or the image's) `/etc/hostaudit/params.yaml`, with the loader's size limit; nil when absent.
    static func readHostParameters(scope: CollectionScope, policies: [Policy]) throws(PolicyLoadFailure) -> ParameterOverrides? {
        let files = HostFiles(scope: scope)
        let display = (scope.isLive ? "" : scope.root) + hostParameters
        guard files.exists(hostParameters) else { return nil }
        let result: Result<ParameterOverrides, PolicyErrors>
        do {
            let c = try files.read(hostParameters, limit: PolicyLoader.maxFileSize + 1)
            if c.truncated || c.bytes.count > PolicyLoader.maxFileSize {
                result = .failure(PolicyErrors([PolicyLoader.tooLarge(display)]))
            } else {
                result = PolicyLoader().loadParameters(bytes: c.bytes, file: display, policies: policies)
            }
        } catch {
            result = .failure(
                PolicyErrors([PolicyError(file: display, line: 1, column: 1, kind: .unreadable, message: "cannot be read: \(error)")]))
        }
        switch result {
        case .success(let o): return o
        case .failure(let e): throw PolicyLoadFailure(lines: e.errors.map(\.description))
        }
    }
}
