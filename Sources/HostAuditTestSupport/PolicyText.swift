/// Policy files written by tests: the one-rule preamble every such file
/// shares, and the command-line rule the hostile-input tests run.
package enum PolicyText {
    /// A policy `name` with one rule `rule` (title `T`) whose check is
    /// `check` (YAML, written as if at column 0; indented under `check:`).
    /// No trailing newline, so line numbers in diagnostics are stable.
    package static func oneRule(name: String = "t", rule: String = "r", severity: String = "low", check: String) -> String {
        let body = check.split(separator: "\n", omittingEmptySubsequences: false).map { "      " + $0 }
        return (["name: \(name)", "rules:", "  - id: \(rule)", "    title: T", "    severity: \(severity)", "    check:"] + body)
            .joined(separator: "\n")
    }

    /// A rule that passes when no process has a command-line argument matching
    /// `pattern` (a single-quoted YAML string: `'` must not occur in it).
    package static func noProcessArgument(matching pattern: String, name: String, rule: String) -> String {
        oneRule(name: name, rule: rule, severity: "high", check: """
            none:
              path: processes.list
              where:
                any:
                  path: cmdline.args
                  where: {matches: '\(pattern)'}
            """)
    }
}
