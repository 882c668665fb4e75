@testable import HostAuditCore
import Testing

/// The anchor/alias refusal tokenizes like libyaml: `&` and `*` start a token
/// only where libyaml's scanner starts one, and are text inside quoted, plain
/// and block scalars. (Checked against libyaml's own scanner on thousands of
/// mutated policy files while it was written; these are the cases that
/// decided its rules.)
@Suite struct YAMLAliasesTests {
    static func problem(_ text: String) -> String? {
        YAMLAliases.firstProblem(Array(text.utf8)).map {
            "\($0.line):\($0.column) " + ($0.message.hasPrefix("YAML alias") ? "alias" : "anchor")
        }
    }

    @Test(arguments: [
        ("name: bomb\na: &a [1]\n", "2:4 anchor"),
        ("rules: *r\n", "1:8 alias"),
        ("- a\n  *cont\n- *x\n", "3:3 alias"),
        ("k: 'it''s *x'\nv: *y\n", "2:4 alias"),
        ("a: {b: *c}\n", "1:8 alias"),
        ("a: [x, &y z]\n", "1:8 anchor"),
        ("k: |-\n  x\n\n  *y\nn: *z\n", "5:4 alias"),
        ("? *k\n: v\n", "1:3 alias"),
        ("k: !tag &a v\n", "1:4 anchor"),  // located at the node (its tag), as libyaml does
        ("k: a # *c\nz: *q\n", "2:4 alias"),
        ("a:\n  - |\n    *t\n  - *z\n", "4:5 alias"),
        ("\u{FEFF}é: *x\n", "1:4 alias"),
    ])
    func tokensAreFound(text: String, expected: String) {
        #expect(Self.problem(text) == expected, "\(text.debugDescription)")
    }

    @Test(arguments: [
        "d: |\n  * item\n  &x\n",  // literal block scalar
        "d: >\n  *x\n",  // folded block scalar
        "k: v\n  *cont\n",  // a plain scalar going on over the next line
        "[a\n *b]\n",  // the same inside a flow collection
        "k: \"a\\\"*b\"\n",  // an escaped quote inside a double-quoted scalar
        "a: x*y&z\n",  // inside a plain scalar
        "--- |\n  *x\n",  // a top-level block scalar
        "key:\n  |\n   *t\n",  // a block scalar on its own line
        "k: |2\n   *x\n",  // explicit indentation
        "# *comment\nk: v # &c\n",
    ])
    func textIsNotAToken(text: String) {
        #expect(Self.problem(text) == nil, "\(text.debugDescription)")
    }
}
