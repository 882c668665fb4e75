import Foundation

/// Everything loaded from the paths given on a command line: policies (with
/// cross-file checks), waiver files and parameter files, or every problem.
public struct PolicyLibrary: Sendable {
    public var policies: [Policy] = []
    public var waiverFiles: [String] = []
    public var parameterFiles: [String] = []
    /// The waivers of every waiver file that loaded, in file order.
    public var waivers: [Waiver] = []
    /// The parameter files' overrides merged in file order (a later file wins).
    public var parameters = ParameterOverrides()
    public var errors: [PolicyError] = []
    /// Problems that do not stop loading (`file:line:column: warning: …`):
    /// regular expressions with nested quantifiers.
    public var warnings: [String] = []
    /// Every YAML file considered.
    public var files: [String] = []

    public init() {}

    /// Expands folders (recursively, `*.yaml`/`*.yml`, skipping `tests/`
    /// fixture folders) and loads each file by its kind. Waiver and parameter
    /// files are validated against the policies loaded alongside them.
    public static func load(paths: [String], loader: PolicyLoader = PolicyLoader()) -> PolicyLibrary {
        var lib = PolicyLibrary()
        var waiverBytes: [(String, [UInt8])] = []
        var paramBytes: [(String, [UInt8])] = []
        for file in expand(paths, errors: &lib.errors) {
            lib.files.append(file)
            let bytes: [UInt8]
            switch PolicyLoader.readBytes(file) {
            case .failure(let e):
                lib.errors.append(e)
                continue
            case .success(let b): bytes = b
            }
            switch loader.kind(ofBytes: bytes, file: file) {
            case .waivers?: waiverBytes.append((file, bytes))
            case .parameters?: paramBytes.append((file, bytes))
            case .policy?, nil:
                switch loader.loadPolicy(bytes: bytes, file: file) {
                case .success(let p): lib.policies.append(p)
                case .failure(let e): lib.errors += e.errors
                }
            }
        }
        lib.errors += PolicyLoader.crossFileErrors(lib.policies)
        for (file, bytes) in waiverBytes {
            lib.waiverFiles.append(file)
            switch loader.loadWaivers(bytes: bytes, file: file, policies: lib.policies) {
            case .success(let w): lib.waivers += w
            case .failure(let e): lib.errors += e.errors
            }
        }
        for (file, bytes) in paramBytes {
            lib.parameterFiles.append(file)
            switch loader.loadParameters(bytes: bytes, file: file, policies: lib.policies) {
            case .success(let o): lib.parameters.values.merge(o.values) { $1 }
            case .failure(let e): lib.errors += e.errors
            }
        }
        lib.errors = PolicyLoader.sorted(lib.errors)
        lib.warnings = lib.policies.flatMap(regexWarnings)
        return lib
    }

    static func expand(_ paths: [String], errors: inout [PolicyError]) -> [String] {
        let fm = FileManager.default
        var out: [String] = []
        for path in paths {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDir) else {
                errors.append(PolicyError(file: path, line: 1, column: 1, kind: .unreadable, message: "no such file or folder"))
                continue
            }
            guard isDir.boolValue else {
                out.append(path)
                continue
            }
            var found: [String] = []
            let base = path.hasSuffix("/") ? String(path.dropLast()) : path
            if let e = fm.enumerator(atPath: base) {
                while let rel = e.nextObject() as? String {
                    let comps = rel.split(separator: "/")
                    if comps.contains("tests") || comps.contains(where: { $0.hasPrefix(".") }) { continue }
                    if rel.hasSuffix(".yaml") || rel.hasSuffix(".yml") { found.append(base + "/" + rel) }
                }
            }
            out += found.sorted()
        }
        return out
    }

    /// `matches` patterns (literal, list members, parameter defaults) that
    /// repeat a repeating group: they can backtrack for minutes on hostile input.
    static func regexWarnings(_ policy: Policy) -> [String] {
        var out: [String] = []
        func patterns(_ m: Matcher) -> [String] {
            switch m.operand {
            case .literal(let v): return v.stringValue.map { [$0] } ?? (v.arrayValue ?? []).compactMap(\.stringValue)
            case .list(let l): return (policy.lists[l]?.values ?? []).compactMap(\.stringValue)
            case .parameter(let p):
                let v = policy.parameters.first { $0.name == p }?.defaultValue
                return v?.stringValue.map { [$0] } ?? (v?.arrayValue ?? []).compactMap(\.stringValue)
            }
        }
        func walk(_ c: PolicyCheck) {
            switch c {
            case .match(_, let m, _):
                guard m.kind == .matches else { return }
                for p in patterns(m) {
                    if let w = CompiledRegex.nestedQuantifier(p) { out.append("\(m.location): warning: \(w)") }
                }
            case .all(let cs, _), .any(let cs, _): cs.forEach(walk)
            case .not(let inner, _): walk(inner)
            case .quantified(let q, _):
                if let c = q.condition { walk(c) }
            }
        }
        for r in policy.rules {
            if let w = r.when { walk(w) }
            if case .facts(let c) = r.check { walk(c) }
        }
        return out
    }
}
