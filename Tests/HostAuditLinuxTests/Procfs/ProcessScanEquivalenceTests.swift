import Foundation
import HostAuditCore
import HostAuditTestSupport
import Synchronization
import Testing

@testable import HostAuditLinux

/// The fast process scan (byte-level parsers, direct JSON trees, a faster
/// writer) must give exactly what the straightforward code gave. The
/// reference implementations below are the previous ones, kept as the
/// specification; every case compares the two on fixture, live and random
/// (hostile) input.
@Suite struct ProcessScanEquivalenceTests {
    // MARK: direct JSON trees against the Codable path

    static func codable(_ v: some Encodable) -> JSONValue {
        var e = JSONValueEncoder()
        e.usesDirectTrees = false
        return e.encodeValue(v)
    }

    static func fixture(_ scenario: String) -> ProcessesFacts {
        let procfs = Procfs(root: Fixtures.path("proc/" + scenario))
        let options = ProcessCollectionOptions(cpuInterval: 0, hiddenSweep: false, procfs: .init(privilegedReads: .always))
        return ProcessCollector(procfs: procfs, options: options).collect()
    }

    @Test(arguments: ["miner", "hostile"])
    func directTreeEqualsCodableOnFixtures(_ scenario: String) {
        let f = Self.fixture(scenario)
        #expect(!f.list.isEmpty)
        let direct = JSONValueEncoder().encodeValue(f)
        #expect(direct == Self.codable(f))
        #expect(JSONWriter().bytes(direct) == JSONWriter().bytes(Self.codable(f)))
        #expect(JSONWriter(pretty: false).bytes(direct) == JSONWriter(pretty: false).bytes(Self.codable(f)))
    }

    @Test func directTreeEqualsCodableWithEveryOptionalSet() {
        var f = Self.fixture("miner")
        f.cpu = CPUSample(
            intervalSeconds: 0.5, cpus: 2, hostBusyTicks: 10, hostTotalTicks: 100, processTicks: 7, processesSampled: 3)
        f.hiddenSweep = HiddenSweep(
            pidMax: 32768, alive: 5, threads: 1, listed: 4,
            hidden: [.init(pid: 99, seenBy: ["kill"], comm: "x\u{1b}", ppid: nil)], raced: 0, durationMs: 1.25)
        f.signatures = SignatureScanSummary(available: false, unavailableReason: "none")
        f.errors = ["e\u{0}1"]
        f.unavailableReason = "reason"
        f.list[0].cpu.percent = 12.5
        f.list[0].cpu.userTicks = UInt64.max  // above Int64.max: a double
        f.list[0].cpu.seconds = .infinity  // not finite: null
        f.list[0].startTicks = UInt64(Int64.max) + 1
        f.list[0].socketInodes = [UInt64.max, 1]
        f.list[1].signatures = ProcessSignatures(
            matches: [
                SignatureMatch(
                    rule: "r", namespace: "n", tags: ["t"], where: "memory", path: nil, region: "a-b r--p", offset: 5,
                    string: "$s", stringMatches: 1, source: nil)
            ], fileScanned: true, candidateReasons: ["deep"])
        f.list[1].environ = ProcessEnviron(
            variables: [.init(name: "LD_PRELOAD", value: "\u{fffd}", valueB64: "/w==")], count: 3, truncated: true)
        f.list[1].commB64 = "/w=="
        let direct = JSONValueEncoder().encodeValue(f)
        let reference = Self.codable(f)
        #expect(direct == reference)
        #expect(JSONWriter().bytes(direct) == JSONWriter().bytes(reference))
    }

    @Test func directTreeEqualsCodableOnThisHost() throws {
        let f = ProcessCollector(options: .init(cpuInterval: 0, hiddenSweep: false)).collect()
        try #require(f.available && f.count > 1)
        #expect(JSONWriter().bytes(JSONValueEncoder().encodeValue(f)) == JSONWriter().bytes(Self.codable(f)))
    }

    // MARK: the document's bytes written straight from the facts

    /// The section's bytes through the byte emitter, without and with a sink
    /// (the sink's pieces joined); both must be `JSONWriter`'s bytes for the tree.
    static func emitted(_ f: ProcessesFacts) -> (held: [UInt8], streamed: [UInt8], pieces: Int) {
        var held = JSONByteEmitter()
        f.writeJSON(into: &held)
        let pieces = Mutex<[[UInt8]]>([])
        var streamed = JSONByteEmitter(sink: { p in pieces.withLock { $0.append(Array(p)) } })
        f.writeJSON(into: &streamed)
        streamed.flush()
        let got = pieces.withLock { $0 }
        return (held.out, got.flatMap { $0 }, got.count)
    }

    @Test(arguments: ["miner", "hostile"])
    func bytesFromTheFactsEqualTheWriterOnFixtures(_ scenario: String) {
        let f = Self.fixture(scenario)
        let reference = JSONWriter().bytes(JSONValueEncoder().encodeValue(f))
        let e = Self.emitted(f)
        #expect(e.held == reference)
        #expect(e.streamed == reference)
    }

    /// A list long enough for the parallel shares (each share's first item,
    /// commas and indentation), with hostile strings and every optional set
    /// on some entries.
    @Test func bytesFromTheFactsEqualTheWriterOnALongList() {
        let miner = Self.fixture("miner"), hostile = Self.fixture("hostile")
        var f = miner
        f.list = []
        var rng = SeededRandom(seed: 915)
        for n in 0..<2_345 {
            var p = (n % 2 == 0 ? miner.list : hostile.list)[n % min(miner.list.count, hostile.list.count)]
            p.pid = Int32(n + 1)
            if n % 5 == 0 { p.comm = rng.hostileString() }
            if n % 7 == 0 { p.socketInodes = [UInt64.max, 3] }
            if n % 11 == 0 { p.cpu.percent = 1.5 }
            if n % 13 == 0 { p.environ = nil; p.maps = nil; p.exe = nil }
            f.list.append(p)
        }
        f.count = f.list.count
        let reference = JSONWriter().bytes(JSONValueEncoder().encodeValue(f))
        let e = Self.emitted(f)
        #expect(e.held == reference)
        #expect(e.streamed == reference)
        #expect(e.pieces > 10)  // handed over in pieces, not held whole
    }

    @Test func documentBytesEqualTheWriterOnThisHost() throws {
        var collector = FactsCollector(scope: .live, processOptions: .init(cpuInterval: 0, hiddenSweep: false))
        collector.processOptions.signatures = nil
        let collected = collector.collectSections([.resolver, .processes, .kernel])
        guard case .processes(let p) = collected.sections[1].value else {
            Issue.record("processes not collected as facts")
            return
        }
        try #require(p.available && p.count > 1)
        let pieces = Mutex<[UInt8]>([])
        collected.writeJSON { piece in pieces.withLock { $0.append(contentsOf: piece) } }
        #expect(pieces.withLock { $0 } == JSONWriter().document(collected.document().json()))
    }

    // MARK: writer

    @Test func writerIntegersMatchStringConversion() {
        var rng = SeededRandom(seed: 15)
        var values: [Int64] = [0, 1, 9, 10, 11, 99, 100, -1, -9, -10, Int64.max, Int64.min, Int64.min + 1]
        for _ in 0..<2000 { values.append(Int64(bitPattern: rng.next()) >> Int64.random(in: 0...63, using: &rng)) }
        for v in values {
            #expect(JSONWriter().string(.int(v)) == String(v), "seed \(rng.seed) value \(v)")
        }
    }

    @Test func writerEscapesHostileStringsAsBefore() {
        var rng = SeededRandom(seed: 1515)
        for _ in 0..<500 {
            let s = rng.hostileString()
            var out: [UInt8] = []
            JSONWriter.appendQuoted(s, to: &out)
            #expect(out == Reference.quoted(s), "seed \(rng.seed): \(s.unicodeScalars.map { $0.value })")
            #expect(!out.contains(0x1b) && !out.contains(0))
        }
    }

    // MARK: parsers against the previous implementations

    static func randomStatLike(_ rng: inout SeededRandom) -> [UInt8] {
        let pieces = ["(", ")", " ", "\n", "1", "42", "-3", "+7", "x", "18446744073709551616", "S", "((a) b)", "\u{1b}"]
        var out: [UInt8] = []
        for _ in 0..<Int.random(in: 0...70, using: &rng) {
            out += Array(pieces.randomElement(using: &rng)!.utf8)
        }
        return out
    }

    @Test func statParserMatchesReference() throws {
        var inputs: [[UInt8]] = []
        for pid in try Procfs().listPids().prefix(64) {
            if let d = FileManager.default.contents(atPath: "/proc/\(pid)/stat") { inputs.append(Array(d)) }
        }
        for scenario in ["miner", "hostile"] {
            let dir = Fixtures.path("proc/" + scenario)
            for name in try FileManager.default.contentsOfDirectory(atPath: dir) {
                if let d = FileManager.default.contents(atPath: "\(dir)/\(name)/stat") { inputs.append(Array(d)) }
            }
        }
        let valid = Array("1 (a b) S 0 1 1 0 -1 4194560 1 2 3 4 5 6 7 8 20 0 1 0 30 1 2".utf8)
        inputs.append(valid)
        var rng = SeededRandom(seed: 77)
        for _ in 0..<3000 { inputs.append(Self.randomStatLike(&rng)) }
        // valid lines with one field replaced by a random piece
        for _ in 0..<1000 {
            var fields = String(decoding: valid, as: UTF8.self).split(separator: " ").map(String.init)
            let k = Int.random(in: 3..<fields.count, using: &rng)
            fields[k] = ["+5", "-5", "x", "", "99999999999999999999", "-9223372036854775808", "\n7"].randomElement(using: &rng)!
            inputs.append(Array(fields.joined(separator: " ").utf8))
        }
        var parsed = 0
        for input in inputs {
            let new = Procfs.parseStat(input)
            #expect(new == Reference.parseStat(input), "seed \(rng.seed): \(String(decoding: input, as: UTF8.self))")
            if new != nil { parsed += 1 }
        }
        #expect(parsed > 64, "the comparison covers lines that parse, not only failures")
    }

    @Test func statusParserMatchesReference() throws {
        var inputs: [[UInt8]] = []
        for pid in try Procfs().listPids().prefix(64) {
            if let d = FileManager.default.contents(atPath: "/proc/\(pid)/status") { inputs.append(Array(d)) }
        }
        var rng = SeededRandom(seed: 78)
        let lines = [
            "Tgid:\t42", "Uid:\t0\t1\t2\t3", "Gid:\t5 6  7\t8", "Uid:\t1\t2", "Gid:\tx\t1\t2\t3\t4", "Tgid:",
            "Tgid:\t+9", "Uid:\t4294967296\t1\t2\t3\t4", "Name:\tUid:\t1\t1\t1\t1", "TgidX:\t3", "", "Gid:", ":",
            "Uid:\t-1\t0\t0\t0\t0",
        ]
        for _ in 0..<2000 {
            var text = ""
            for _ in 0..<Int.random(in: 0...8, using: &rng) { text += lines.randomElement(using: &rng)! + "\n" }
            if Bool.random(using: &rng) { text.removeLast(min(1, text.count)) }
            inputs.append(Array(text.utf8))
        }
        for input in inputs {
            #expect(Procfs.parseStatus(input) == Reference.parseStatus(input), "seed \(rng.seed): \(String(decoding: input, as: UTF8.self))")
        }
    }

    static func randomPath(_ rng: inout SeededRandom) -> [UInt8] {
        let pieces: [[UInt8]] = [
            Array("/".utf8), Array("//".utf8), Array(".".utf8), Array("..".utf8), Array(".x".utf8), Array("tmp".utf8),
            Array("/tmp".utf8), Array("/tmp/".utf8), Array("/dev/shm".utf8), Array("/var/tmp/".utf8),
            Array("memfd:".utf8), Array("/memfd:".utf8), Array(" (deleted)".utf8), Array("lib.so.6".utf8),
            Array(".so".utf8), Array("/usr/lib/".utf8), Array("\u{301}".utf8), [0xff], [0xc3], Array("a".utf8),
            Array(" ".utf8),
        ]
        var out: [UInt8] = []
        for _ in 0..<Int.random(in: 0...7, using: &rng) { out += pieces.randomElement(using: &rng)! }
        return out
    }

    @Test func pathClassificationMatchesReference() {
        var rng = SeededRandom(seed: 79)
        for _ in 0..<5000 {
            let p = Self.randomPath(&rng)
            #expect(ProcessPath.classify(p) == Reference.classify(p), "seed \(rng.seed): \(p)")
        }
    }

    @Test func mapsParserMatchesReference() throws {
        var inputs: [[UInt8]] = []
        for pid in try Procfs().listPids().prefix(64) {
            if let d = FileManager.default.contents(atPath: "/proc/\(pid)/maps") { inputs.append(Array(d)) }
        }
        for scenario in ["miner", "hostile"] {
            let dir = Fixtures.path("proc/" + scenario)
            for name in try FileManager.default.contentsOfDirectory(atPath: dir) {
                if let d = FileManager.default.contents(atPath: "\(dir)/\(name)/maps") { inputs.append(Array(d)) }
            }
        }
        var rng = SeededRandom(seed: 80)
        let perms = ["r-xp", "rw-p", "r--p", "--xs", "rwxp", "x"]
        for _ in 0..<800 {
            var text: [UInt8] = []
            for n in 0..<Int.random(in: 0...30, using: &rng) {
                let path = Bool.random(using: &rng) ? [] : Self.randomPath(&rng)
                text += Array("\(n)000-\(n)fff \(perms.randomElement(using: &rng)!) 00000000 08:01 1234".utf8)
                text += Array(String(repeating: " ", count: Int.random(in: 0...3, using: &rng)).utf8)
                text += path
                // repeat a line (a file mapped by consecutive lines), or break it
                if Int.random(in: 0..<4, using: &rng) == 0 { text += [0x0a] + text.suffix(60) }
                text.append(0x0a)
            }
            inputs.append(text)
        }
        for input in inputs {
            #expect(ProcessMaps.parse(input) == Reference.parseMaps(input), "seed \(rng.seed): \(String(decoding: input, as: UTF8.self))")
        }
    }

    @Test func environParserMatchesReference() {
        var rng = SeededRandom(seed: 81)
        let entries = [
            "PATH=/bin", "LD_PRELOAD=/tmp/x.so", "LD_PRELOADX=1", "SKL=1", "S=2", "=x", "noequals", "HISTFILE=/dev/null",
            "LD_AUDIT=\u{1b}", "", "GCONV_PATH=", "HISTSIZE=0=0",
        ]
        for _ in 0..<2000 {
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 0...10, using: &rng) {
                bytes += Array(entries.randomElement(using: &rng)!.utf8)
                if Int.random(in: 0..<8, using: &rng) == 0 { bytes.append(0xff) }
                bytes.append(0)
            }
            if Bool.random(using: &rng), !bytes.isEmpty { bytes.removeLast() }
            #expect(ProcessEnviron.parse(bytes, truncated: false) == Reference.parseEnviron(bytes), "seed \(rng.seed): \(bytes)")
        }
    }
}

/// The previous implementations, verbatim in substance.
enum Reference {
    static func parseStat(_ bytes: [UInt8]) -> Procfs.Stat? {
        guard let open = bytes.firstIndex(of: UInt8(ascii: "(")),
            let close = bytes.lastIndex(of: UInt8(ascii: ")")), close > open
        else { return nil }
        let comm = Array(bytes[(open + 1)..<close])
        let rest = bytes[(close + 1)...].split(whereSeparator: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\n") })
        guard rest.count >= 20 else { return nil }
        func u(_ i: Int) -> UInt64? { UInt64(String(decoding: rest[i], as: UTF8.self)) }
        func s(_ i: Int) -> Int64? { Int64(String(decoding: rest[i], as: UTF8.self)) }
        guard let ppid = s(1), let flags = u(6), let ut = u(11), let st = u(12), let th = s(17), let start = u(19) else {
            return nil
        }
        return Procfs.Stat(
            commBytes: comm, state: String(decoding: rest[0], as: UTF8.self), ppid: Int32(truncatingIfNeeded: ppid),
            flags: UInt32(truncatingIfNeeded: flags), utime: ut, stime: st, threads: Int(th), startTicks: start,
            childTicks: UInt64(max(0, s(13) ?? 0)) + UInt64(max(0, s(14) ?? 0)))
    }

    static func parseStatus(_ bytes: [UInt8]) -> Procfs.Status {
        var out = Procfs.Status()
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { continue }
            let key = line[line.startIndex..<colon]
            let isTgid = key.elementsEqual("Tgid".utf8)
            let isUid = key.elementsEqual("Uid".utf8)
            let isGid = key.elementsEqual("Gid".utf8)
            guard isTgid || isUid || isGid else { continue }
            let values = line[(colon + 1)...].split(whereSeparator: { $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: " ") })
                .compactMap { UInt32(String(decoding: $0, as: UTF8.self)) }
            // The first well-formed line of each key wins.
            if isTgid {
                if let v = values.first, out.tgid == nil { out.tgid = Int32(bitPattern: v) }
            } else if values.count >= 4 {
                let ids = ProcessFact.IDs(real: values[0], effective: values[1], saved: values[2], fs: values[3])
                if isUid { out.uids = out.uids ?? ids } else { out.gids = out.gids ?? ids }
            }
        }
        return out
    }

    static func classify(_ raw: [UInt8]) -> ProcessPath {
        let suffix = Array(" (deleted)".utf8)
        var bytes = raw
        var deleted = false
        if bytes.count > suffix.count && bytes.suffix(suffix.count).elementsEqual(suffix) {
            bytes.removeLast(suffix.count)
            deleted = true
        }
        let (text, b64) = HostBytes.text(bytes)
        let slash = UInt8(ascii: "/"), dot = UInt8(ascii: ".")
        let memfd = bytes.starts(with: "/memfd:".utf8) || bytes.starts(with: "memfd:".utf8)
        let inTemp = ProcessPath.tempDirectories.contains { t in
            bytes.starts(with: t.utf8) || (bytes + [slash]).elementsEqual(t.utf8)
        }
        var dirs = bytes.split(separator: slash, omittingEmptySubsequences: true)
        if !dirs.isEmpty { dirs.removeLast() }
        let inDot = !memfd && bytes.first == slash
            && dirs.contains { $0.first == dot && !$0.elementsEqual([dot]) && !$0.elementsEqual([dot, dot]) }
        return ProcessPath(path: text, pathB64: b64, deleted: deleted, memfd: memfd, inTempDir: inTemp, inDotDir: inDot)
    }

    static func parseMaps(_ bytes: [UInt8]) -> ProcessMaps {
        var seen = Set<[UInt8]>()
        var objects = 0
        var suspicious: [ProcessMaps.Library] = []
        var deletedExec: [ProcessMaps.Library] = []
        var seenDeletedExec = Set<[UInt8]>()
        var anon: [ProcessMaps.Mapping] = []
        var anonCount = 0
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            var fields: [ArraySlice<UInt8>] = []
            var i = line.startIndex
            while fields.count < 5 && i < line.endIndex {
                while i < line.endIndex && line[i] == UInt8(ascii: " ") { i += 1 }
                let start = i
                while i < line.endIndex && line[i] != UInt8(ascii: " ") { i += 1 }
                if start < i { fields.append(line[start..<i]) }
            }
            guard fields.count == 5 else { continue }
            while i < line.endIndex && line[i] == UInt8(ascii: " ") { i += 1 }
            let path = Array(line[i...])
            let perms = String(decoding: fields[1], as: UTF8.self)
            // Only executable mappings count (a `.so` mapped only for reading is data).
            guard perms.contains("x") else { continue }
            if path.isEmpty {
                anonCount += 1
                if anon.count < 16 {
                    anon.append(.init(address: String(decoding: fields[0], as: UTF8.self), perms: perms))
                }
                continue
            }
            if path.first == UInt8(ascii: "[") { continue }
            let classified = classify(path)
            let isSharedObject = classified.path.utf8.split(separator: UInt8(ascii: "/")).last.map {
                ByteText.contains(String(decoding: Array($0), as: UTF8.self), ".so")
            } ?? false
            if isSharedObject {
                guard seen.insert(path).inserted else { continue }
                objects += 1
                let reasons = ProcessMaps.libraryReasons(classified)
                if !reasons.isEmpty { suspicious.append(.init(path: classified, reasons: reasons)) }
            } else if classified.deleted || classified.memfd {
                guard seenDeletedExec.insert(path).inserted else { continue }
                deletedExec.append(.init(path: classified, reasons: ProcessMaps.goneReasons(classified)))
            }
        }
        return ProcessMaps(
            sharedObjects: objects, suspiciousLibraries: suspicious, anonymousExecutable: anon,
            anonymousExecutableCount: anonCount, deletedExecutable: deletedExec)
    }

    static func parseEnviron(_ bytes: [UInt8]) -> ProcessEnviron {
        var vars: [ProcessEnviron.Variable] = []
        var count = 0
        for entry in bytes.split(separator: 0, omittingEmptySubsequences: true) {
            count += 1
            guard let eq = entry.firstIndex(of: UInt8(ascii: "=")) else { continue }
            guard let name = String(validating: entry[entry.startIndex..<eq], as: UTF8.self),
                ProcessEnviron.reportedNames.contains(name)
            else { continue }
            let (value, b64) = HostBytes.text(entry[(eq + 1)...])
            vars.append(.init(name: name, value: value, valueB64: b64))
        }
        return ProcessEnviron(variables: vars, count: count, truncated: false)
    }

    /// The previous `JSONWriter.appendQuoted`.
    static func quoted(_ s: String) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "\"")]
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += Array("\\\"".utf8)
            case "\\": out += Array("\\\\".utf8)
            case "\n": out += Array("\\n".utf8)
            case "\r": out += Array("\\r".utf8)
            case "\t": out += Array("\\t".utf8)
            case "\u{08}": out += Array("\\b".utf8)
            case "\u{0C}": out += Array("\\f".utf8)
            default:
                let v = scalar.value
                if v < 0x20 || (0x7F...0x9F).contains(v) || (0x200B...0x200F).contains(v) || (0x2028...0x202E).contains(v)
                    || (0x2060...0x2069).contains(v) || v == 0xFEFF
                {
                    let h = String(v, radix: 16)
                    out += Array(("\\u" + String(repeating: "0", count: max(0, 4 - h.count)) + h).utf8)
                } else if RawName.range.contains(v) {
                    let w = v - 0x10000
                    for u in [0xD800 + (w >> 10), 0xDC00 + (w & 0x3FF)] {
                        out += Array(("\\u" + String(u, radix: 16)).utf8)
                    }
                } else {
                    out += Array(String(scalar).utf8)
                }
            }
        }
        out.append(UInt8(ascii: "\""))
        return out
    }
}
