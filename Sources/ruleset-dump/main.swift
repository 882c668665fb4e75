// ruleset-dump: prints the nf_tables snapshot of the current network namespace.
//
//   ruleset-dump            the whole snapshot as JSON
//   ruleset-dump --counts   generation, attempts and rule counts per chain (JSON)
//   ruleset-dump --quiet    one line of counts and the elapsed time (for timing)
//   ruleset-dump --repeat N read N snapshots (with --counts: one JSON line each)
//   ruleset-dump --text     the `firewall show` text (nft / iptables-save per table)
//   ruleset-dump --nft-text the text with nft syntax forced for every table
//   ruleset-dump --nft-json the `firewall show --format json` document (libnftables JSON, compact)
//
// A diagnostic for tests and benchmarks; the CLI's `firewall` commands come later.
#if canImport(Glibc)
import Glibc
#endif
import HostAuditCore
import HostAuditLinux

func printError(_ s: String) {
    let line = s + "\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
}

var mode = "json"
var repeatCount = 1
var args = CommandLine.arguments.dropFirst()
while let a = args.popFirst() {
    switch a {
    case "--counts": mode = "counts"
    case "--quiet": mode = "quiet"
    case "--text": mode = "text"
    case "--nft-text": mode = "nft-text"
    case "--nft-json": mode = "nft-json"
    case "--repeat": repeatCount = Int(args.popFirst() ?? "") ?? 1
    default:
        printError("usage: ruleset-dump [--counts | --quiet | --text | --nft-text | --nft-json] [--repeat N]")
        exit(64)
    }
}

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

let reader = NetfilterReader()
for _ in 0..<repeatCount {
    let start = now()
    let snapshot: RulesetSnapshot
    do {
        snapshot = try reader.snapshot()
    } catch {
        printError("ruleset-dump: \(error)")
        exit(3)
    }
    let elapsed = now() - start
    let owners = Set(snapshot.tables.compactMap(\.owner))
    switch mode {
    case "quiet":
        let chains = snapshot.allChains.count
        let rules = snapshot.allRules.count
        let exprs = snapshot.allRules.reduce(0) { $0 + $1.expressions.count }
        let elems = snapshot.allSets.reduce(0) { $0 + $1.elements.count }
        print(
            "generation \(snapshot.generation) attempts \(snapshot.attempts): \(snapshot.tables.count) tables, "
                + "\(chains) chains, \(snapshot.allSets.count) sets, \(elems) elements, \(rules) rules, "
                + "\(exprs) expressions in \(Int(elapsed * 1000)) ms")
    case "counts":
        var chains = JSONObject()
        for t in snapshot.tables {
            for c in t.chains { chains["\(t.family.name) \(t.name) \(c.name)"] = .int(Int64(c.rules.count)) }
        }
        let doc = JSONValue.object(
            JSONObject([
                ("generation", .int(Int64(snapshot.generation))), ("attempts", .int(Int64(snapshot.attempts))),
                ("chains", .object(chains)),
            ]))
        print(JSONWriter(pretty: false).string(doc))
    case "text":
        NFTTextRenderer.$interfaceNames.withValue(InterfaceNames.current()) {
            NFTTextRenderer.$processNames.withValue(NetlinkOwners.names(for: owners)) {
                print(FirewallText.render(snapshot), terminator: "")
            }
        }
    case "nft-text":
        NFTTextRenderer.$interfaceNames.withValue(InterfaceNames.current()) {
            NFTTextRenderer.$processNames.withValue(NetlinkOwners.names(for: owners)) {
                print(FirewallText.render(snapshot, forceNFT: true), terminator: "")
            }
        }
    case "nft-json":
        func writeAll(_ bytes: [UInt8]) {
            bytes.withUnsafeBufferPointer { buf in
                var off = 0
                while off < buf.count {
                    let n = write(1, buf.baseAddress! + off, buf.count - off)
                    if n <= 0 { break }
                    off += n
                }
            }
        }
        NFTTextRenderer.$interfaceNames.withValue(InterfaceNames.current()) {
            NFTJSONRenderer.writeCompact(snapshot, to: writeAll)
        }
        writeAll([UInt8(ascii: "\n")])
    default:
        print(JSONWriter().string(JSONValueEncoder().encodeValue(snapshot)))
    }
}
