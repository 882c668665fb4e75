import Foundation
import HostAuditCore
import HostAuditTestSupport
import Testing

/// Feeds mutated policy files to the loader: it must never crash, and every
/// file that does not load must get located messages. Longer runs:
/// `Benchmarks/policy-fuzz.sh` (HOSTAUDIT_FUZZ_ITERATIONS, HOSTAUDIT_FUZZ_SEED).
@Suite struct PolicyFuzzTests {
    static let seeds: [(String, [UInt8])] = {
        let root = Fixtures.packageRoot
        let files = [
            root + "/Policies/baseline.yaml", root + "/Policies/egress.yaml", root + "/Policies/miners.yaml",
            root + "/Policies/compromise.yaml",
            root + "/Tests/Fixtures/policies/valid/complete.yaml",
        ]
        return files.compactMap { f in FileManager.default.contents(atPath: f).map { (f, [UInt8]($0)) } }
    }()

    static let facts: JSONValue = {
        let path = Fixtures.packageRoot + "/Policies/tests/base/good-host.json"
        return (try? JSONValue(parsing: [UInt8](FileManager.default.contents(atPath: path) ?? Data()))) ?? .null
    }()

    static let iterations = Int(ProcessInfo.processInfo.environment["HOSTAUDIT_FUZZ_ITERATIONS"] ?? "") ?? 3000
    static let seed = UInt64(ProcessInfo.processInfo.environment["HOSTAUDIT_FUZZ_SEED"] ?? "") ?? 0x5EED_0F_F022

    static let flips = [
        "[", "]", "{", "}", "true", "false", "null", "~", "123", "-1", "1e999", "''", "\"\"", "- x", "{a: b}", "[1, 2]",
        "&a", "*a", "!!binary", "<<: *a", "|", ">", "'unterminated", "\"bad \\q escape\"", "\t", "#", ": :", "?", "@", "%YAML 1.1",
        "2026-01-01", "0x1F", ".inf", "*", "firewall.rules[]", "([", "{param: nope}", "{list: nope}",
    ]

    static func mutate(_ input: [UInt8], _ rng: inout SeededRandom) -> [UInt8] {
        var lines = input.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
        let rounds = Int.random(in: 1...4, using: &rng)
        for _ in 0..<rounds {
            guard !lines.isEmpty else { break }
            let i = Int.random(in: 0..<lines.count, using: &rng)
            switch Int.random(in: 0..<11, using: &rng) {
            case 0: lines.remove(at: i)
            case 1: lines.insert(lines[i], at: i)
            case 2: lines.swapAt(i, Int.random(in: 0..<lines.count, using: &rng))
            case 3:  // indentation
                if Bool.random(using: &rng) {
                    lines[i] = Array(repeating: 0x20, count: Int.random(in: 1...5, using: &rng)) + lines[i]
                } else {
                    lines[i] = Array(lines[i].drop { $0 == 0x20 }.prefix(Int.max))
                    if Bool.random(using: &rng) { lines[i] = [0x20] + lines[i] }
                }
            case 4:  // random bytes
                var l = lines[i]
                for _ in 0..<Int.random(in: 1...6, using: &rng) {
                    let pos = Int.random(in: 0...l.count, using: &rng)
                    l.insert(UInt8.random(in: 0...255, using: &rng), at: pos)
                }
                lines[i] = l
            case 5:  // truncation
                let all = Array(lines.joined(separator: [0x0A]))
                let cut = Int.random(in: 0...all.count, using: &rng)
                lines = Array(all.prefix(cut)).split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
            case 6, 7:  // type flip: replace a value after ': ' (or a list item) with something else
                let flip = Array(flips.randomElement(using: &rng)!.utf8)
                if let colon = lines[i].firstIndex(of: UInt8(ascii: ":")) {
                    lines[i] = Array(lines[i][...colon]) + [0x20] + flip
                } else {
                    lines[i] += [0x20] + flip
                }
            case 9:  // anchors and aliases: a small bomb, an alias as a key, a dangling alias
                let bombs = [
                    "a0: &a0 [x, x, x, x, x, x, x, x, x]\na1: &a1 [*a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0]\na2: [*a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1]",
                    "k: &k {x: [1, 2]}\n? *k\n: v", "v: *nope", "m: &m\n  n: *m", "s: &s x\nt: *s",
                    "- &i {a: 1}\n- *i", "<<: *a",
                ]
                let bomb = bombs.randomElement(using: &rng)!.split(separator: "\n").map { Array($0.utf8) }
                lines.insert(contentsOf: bomb, at: i)
            case 10:  // deep nesting, flow and block
                let depth = Int.random(in: 1...300, using: &rng)
                if Bool.random(using: &rng) {
                    lines[i] += Array(String(repeating: "[", count: depth).utf8) + Array(String(repeating: "]", count: depth).utf8)
                } else {
                    let block = (0..<min(depth, 80)).map { Array((String(repeating: " ", count: $0 * 2) + "k\($0):").utf8) }
                    lines.insert(contentsOf: block, at: i)
                }
            default:  // hostile text
                lines[i] += Array(rng.hostileString(maxLength: 12).utf8)
            }
        }
        return Array(lines.joined(separator: [0x0A]))
    }

    @Test func mutatedPoliciesNeverCrashAndAlwaysLocateTheProblem() throws {
        #expect(Self.seeds.count == 5)
        var rng = SeededRandom(seed: Self.seed)
        var loaded = 0
        var rejected = 0
        let loader = PolicyLoader()
        for n in 0..<Self.iterations {
            let (file, original) = Self.seeds[n % Self.seeds.count]
            let bytes = Self.mutate(original, &rng)
            let name = "fuzz-\(n).yaml"
            let lineCount = bytes.filter { $0 == 0x0A }.count + 1
            switch loader.loadPolicy(bytes: bytes, file: name) {
            case .success(let p):
                loaded += 1
                // A policy that loads must also compile and evaluate.
                if let engine = try? PolicyEngine(policies: [p]) {
                    _ = engine.evaluate(facts: Self.facts, egress: EgressObservations())
                }
            case .failure(let e):
                rejected += 1
                #expect(!e.errors.isEmpty, "seed \(Self.seed) iteration \(n) (\(file)): no message")
                for err in e.errors {
                    let ok = err.file == name && err.line >= 1 && err.line <= lineCount + 1 && err.column >= 1
                        && !err.message.isEmpty
                    if !ok {
                        Issue.record("seed \(Self.seed) iteration \(n) (\(file)): badly located: \(err)")
                        return
                    }
                }
            }
        }
        #expect(loaded + rejected == Self.iterations)
        #expect(rejected > Self.iterations / 4, "mutations should usually break something")
    }
}
