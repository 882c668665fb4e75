import Foundation
import HostAuditCore
import HostAuditTestSupport
import Testing

/// Each `Tests/Fixtures/nft/corpus/*.nft` is loaded into a fresh namespace;
/// `ruleset-dump --text` must print exactly what `nft list ruleset` prints there.
@Suite("NFTText corpus (real kernel, own namespace)", .privileged, .serialized)
struct NFTTextCorpusTests {
    static let corpusDirectory = Fixtures.path("nft/corpus")

    static var files: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: corpusDirectory)) ?? [])
            .filter { $0.hasSuffix(".nft") }.sorted()
    }

    /// Files whose output differs on purpose, with the reason.
    static let knownGaps: [String: String] = [:]

    /// Element expiry counts down between the two listings: drop it from both.
    static func normalise(_ s: String) -> String {
        s.replacingOccurrences(of: #" expires [0-9a-z]+"#, with: "", options: .regularExpression)
    }

    @Test(arguments: files)
    func matchesNftListRuleset(_ file: String) throws {
        try NetNamespace.with(tag: "nfttext") { ns in
            try ns.check(["nft", "-f", Self.corpusDirectory + "/" + file])
            let nft = try ns.check(["nft", "list", "ruleset"]).stdout
            let ours = try ns.check([RulesetDumpTool.path, "--text"]).stdout
            if let reason = Self.knownGaps[file] {
                withKnownIssue(Comment(rawValue: reason)) {
                    #expect(Self.normalise(ours) == Self.normalise(nft))
                }
            } else {
                #expect(Self.normalise(ours) == Self.normalise(nft), "\(file)")
                if Self.normalise(ours) != Self.normalise(nft) {
                    let a = Self.normalise(nft).split(separator: "\n", omittingEmptySubsequences: false)
                    let b = Self.normalise(ours).split(separator: "\n", omittingEmptySubsequences: false)
                    for (i, (x, y)) in zip(a, b).enumerated() where x != y {
                        Issue.record("line \(i + 1): nft `\(x)` vs ours `\(y)`")
                        break
                    }
                }
            }
        }
    }

    /// An owner table (`flags owner`) lives as long as the netlink socket that
    /// created it: `nft -i` holds one while its input stays open. nft prints
    /// the owning process's name, `# progname nft`. (The feeder is ended with
    /// SIGKILL: children of the test runner may inherit a mask blocking SIGTERM.)
    @Test func ownerTableNamesItsProcess() throws {
        try NetNamespace.with(tag: "nftown") { ns in
            let script = """
                feeder=$(mktemp)
                sh -c 'echo $$ > '"$feeder"'; printf "add table ip own { flags owner; }\\nadd chain ip own c\\n"; exec sleep 60' \\
                    2>/dev/null | nft -i >/dev/null 2>&1 &
                for i in $(seq 100); do nft list chain ip own c >/dev/null 2>&1 && break; sleep 0.1; done
                nft list ruleset
                echo '=== ours'
                \(RulesetDumpTool.path) --text
                kill -9 $(cat "$feeder"); rm -f "$feeder"
                """
            let out = try ns.check(["sh", "-c", script]).stdout
            let parts = out.components(separatedBy: "=== ours\n")
            try #require(parts.count == 2)
            #expect(parts[0].hasPrefix("table ip own { # progname nft\n\tflags owner\n"))
            #expect(parts[1] == parts[0])
        }
    }

    @Test func everyCorpusFileIsListed() {
        #expect(Self.files.count >= 8)
    }
}
