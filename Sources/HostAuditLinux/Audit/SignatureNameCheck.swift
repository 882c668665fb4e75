import HostAuditCore

/// `policy lint`: every YARA rule name a policy matches on
/// (`signatures.matches[].rule`) must exist in the signatures.
package enum SignatureNameCheck {
    /// The problems, as `file:line:column: error: …` lines. `signatures`: the
    /// rule folder given; else `signatures/` of each PATH folder, else the shipped one.
    package static func problems(_ lib: PolicyLibrary, paths: [String], signatures: String?) -> [String] {
        let refs = lib.policies.flatMap { SignatureReferences.names(in: $0) }
        guard !refs.isEmpty else { return [] }
        var dirs: [String] = signatures.map { [$0] } ?? []
        if dirs.isEmpty {
            dirs = paths.map { $0 + "/signatures" }.filter(ShippedPolicies.isDirectory)
        }
        if dirs.isEmpty, let shipped = ShippedPolicies.path() { dirs.append(shipped + "/signatures") }
        var known = Set<String>()
        var problems: [String] = []
        for d in dirs {
            do { known.formUnion(try YaraRules(directory: d).names) } catch {
                problems.append("\(d): error: signatures do not load: \(error.description)")
            }
        }
        for r in refs where !known.contains(r.name) {
            problems.append(
                "\(r.location.file):\(r.location.line):\(r.location.column): error: rule \(r.rule) names signature "
                    + "\(r.name), which no loaded signature file (\(dirs.joined(separator: ", "))) defines")
        }
        return problems
    }
}
