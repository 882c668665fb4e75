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

    @Test func everyCorpusFileIsListed() {
        #expect(Self.files.count >= 8)
    }
}
