import Foundation
import HostAuditCore
import HostAuditLinux
import HostAuditTestSupport
import Testing

/// The shipped YARA rules against real processes: a miner renamed to
/// `[kworker/0:2]` whose strings exist only in heap memory, a deleted binary,
/// a process with a 2 GiB mapping, and the benign corpus of this machine.
@Suite("Signatures (YARA over executables and memory)", .serialized)
struct SignatureScanTests {
    static let rulesDirectory = Fixtures.packageRoot + "/Policies/signatures"

    /// The miner-like text (a stratum login and submit, xmrig config keys),
    /// XOR 0x5a: the test program's file holds only these bytes and decodes them
    /// into heap memory at start; neither the program's file nor this test's
    /// binary contains the plain text.
    static let encoded = """
        0x21, 0x78, 0x33, 0x3e, 0x78, 0x60, 0x6b, 0x76, 0x78, 0x30, 0x29, 0x35, 0x34, 0x28, 0x2a, 0x39, 0x78, 0x60, 0x78, 0x68, 0x74, 0x6a, 0x78, 0x76,
        0x78, 0x37, 0x3f, 0x2e, 0x32, 0x35, 0x3e, 0x78, 0x60, 0x78, 0x36, 0x35, 0x3d, 0x33, 0x34, 0x78, 0x76, 0x78, 0x2a, 0x3b, 0x28, 0x3b, 0x37, 0x29,
        0x78, 0x60, 0x21, 0x78, 0x36, 0x35, 0x3d, 0x33, 0x34, 0x78, 0x60, 0x78, 0x22, 0x78, 0x76, 0x78, 0x2a, 0x3b, 0x29, 0x29, 0x78, 0x60, 0x78, 0x22,
        0x78, 0x76, 0x78, 0x3b, 0x3d, 0x3f, 0x34, 0x2e, 0x78, 0x60, 0x78, 0x2e, 0x3f, 0x29, 0x2e, 0x75, 0x6b, 0x74, 0x6a, 0x78, 0x27, 0x27, 0x50, 0x21,
        0x78, 0x33, 0x3e, 0x78, 0x60, 0x68, 0x76, 0x78, 0x37, 0x3f, 0x2e, 0x32, 0x35, 0x3e, 0x78, 0x60, 0x78, 0x29, 0x2f, 0x38, 0x37, 0x33, 0x2e, 0x78,
        0x76, 0x78, 0x2a, 0x3b, 0x28, 0x3b, 0x37, 0x29, 0x78, 0x60, 0x21, 0x78, 0x33, 0x3e, 0x78, 0x60, 0x78, 0x6b, 0x78, 0x76, 0x78, 0x30, 0x35, 0x38,
        0x05, 0x33, 0x3e, 0x78, 0x60, 0x78, 0x6d, 0x78, 0x76, 0x78, 0x34, 0x35, 0x34, 0x39, 0x3f, 0x78, 0x60, 0x78, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a, 0x6a,
        0x6a, 0x6a, 0x78, 0x27, 0x27, 0x50, 0x21, 0x78, 0x2f, 0x28, 0x36, 0x78, 0x60, 0x78, 0x29, 0x2e, 0x28, 0x3b, 0x2e, 0x2f, 0x37, 0x71, 0x2e, 0x39,
        0x2a, 0x60, 0x75, 0x75, 0x6b, 0x68, 0x6d, 0x74, 0x6a, 0x74, 0x6a, 0x74, 0x6b, 0x60, 0x63, 0x78, 0x76, 0x78, 0x3e, 0x35, 0x34, 0x3b, 0x2e, 0x3f,
        0x77, 0x36, 0x3f, 0x2c, 0x3f, 0x36, 0x78, 0x60, 0x6a, 0x76, 0x78, 0x32, 0x2f, 0x3d, 0x3f, 0x77, 0x2a, 0x3b, 0x3d, 0x3f, 0x29, 0x78, 0x60, 0x2e,
        0x28, 0x2f, 0x3f, 0x76, 0x78, 0x28, 0x3b, 0x34, 0x3e, 0x35, 0x37, 0x22, 0x78, 0x60, 0x21, 0x78, 0x6b, 0x3d, 0x38, 0x77, 0x2a, 0x3b, 0x3d, 0x3f,
        0x29, 0x78, 0x60, 0x3c, 0x3b, 0x36, 0x29, 0x3f, 0x27, 0x76, 0x78, 0x39, 0x2a, 0x2f, 0x77, 0x2a, 0x28, 0x33, 0x35, 0x28, 0x33, 0x2e, 0x23, 0x78,
        0x60, 0x68, 0x76, 0x78, 0x37, 0x3b, 0x22, 0x77, 0x2e, 0x32, 0x28, 0x3f, 0x3b, 0x3e, 0x29, 0x77, 0x32, 0x33, 0x34, 0x2e, 0x78, 0x60, 0x6f, 0x6a,
        0x27, 0x5a
        """

    /// Decodes the blob into the heap, renames itself (prctl PR_SET_NAME and
    /// argv[0]) to `[kworker/0:2]`, writes its pid to the file argv[1], then sleeps.
    /// With a second argument N it also maps N MiB of anonymous memory (touching one page in 64).
    static let program = """
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include <unistd.h>
        #include <sys/mman.h>
        #include <sys/prctl.h>
        static const unsigned char blob[] = {
        \(encoded)
        };
        int main(int argc, char **argv) {
            char *heap = malloc(sizeof blob);
            for (size_t i = 0; i < sizeof blob; i++) heap[i] = (char)(blob[i] ^ 0x5a);
            if (argc > 2) {
                size_t n = (size_t)atol(argv[2]) << 20;
                char *big = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
                if (big == MAP_FAILED) return 3;
                for (size_t i = 0; i < n; i += 64 * 4096) big[i] = 1;
            }
            char *ready = argv[1];
            prctl(PR_SET_NAME, "kworker/0:2", 0, 0, 0);
            size_t room = strlen(argv[0]);
            const char *name = "[kworker/0:2]";
            if (room >= strlen(name)) { memset(argv[0], 0, room); memcpy(argv[0], name, strlen(name)); }
            FILE *f = fopen(ready, "w");
            if (!f) return 2;
            fprintf(f, "%d\\n", (int)getpid());
            fclose(f);
            for (;;) pause();
            return heap[0];
        }
        """

    /// A normal (not temporary, not dot) directory for the program: /var/lib/ha-t<pid>-sig.
    static func makeDirectory() throws -> String {
        let dir = "/var/lib/ha-t\(getpid())-sig"
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        return dir
    }

    static func build(in dir: String) throws -> String {
        try program.write(toFile: dir + "/prog.c", atomically: true, encoding: .utf8)
        let out = dir + "/kworkerd"
        let r = try CommandRunner.run(["cc", "-O0", "-o", out, dir + "/prog.c"], timeout: 120)
        guard r.status == 0 else { throw TestProcessError(reason: "cc failed: \(r)") }
        return out
    }

    /// Starts the program (argv[0] padded so the rename fits) and waits for its pid file.
    static func start(_ procs: TestProcesses, exe: String, dir: String, tag: String, mib: Int? = nil) throws -> Int32 {
        let ready = dir + "/ready-\(tag)"
        var args = [ready]
        if let mib { args.append(String(mib)) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        try p.run()
        procs.adopt(p.processIdentifier)
        let pid = try procs.waitForFile(ready)
        guard let n = Int32(pid.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw TestProcessError(reason: "bad pid file \(pid)")
        }
        return n
    }

    /// Facts for just these pids, scanned with the shipped rules.
    static func scan(_ pids: [Int32], deep: Bool = false, perProcess: Int = 128 << 20) throws -> ProcessesFacts {
        var facts = LiveScan.processes()
        facts.list = facts.list.filter { pids.contains($0.pid) }
        let rules = try YaraRules(directory: rulesDirectory)
        let options = SignatureScanOptions(rulesDirectory: rulesDirectory, deep: deep, perProcessMemoryBudget: perProcess)
        SignatureScanner(rules: rules, options: options).scan(&facts)
        return facts
    }

    @Test("The shipped rules compile, and every rule carries a meta source")
    func rulesCompile() throws {
        let rules = try YaraRules(directory: Self.rulesDirectory)
        #expect(rules.names.contains("Miner_Stratum_Protocol"))
        #expect(rules.files.count >= 2)
        for file in rules.files {
            let text = try String(contentsOfFile: file, encoding: .utf8)
            let ruleCount = text.components(separatedBy: "\nrule ").count - 1
            let sourceCount = text.components(separatedBy: "source = \"").count - 1
            #expect(ruleCount > 0 && ruleCount == sourceCount, "\(file): \(ruleCount) rules, \(sourceCount) sources")
        }
    }

    @Test("A malformed rule file is reported with its file and line")
    func malformedRule() throws {
        let dir = try Fixtures.temporaryDirectory("ha-yar")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "rule Broken {\n condition:\n  nosuchthing\n}\n".write(toFile: dir + "/bad.yar", atomically: true, encoding: .utf8)
        #expect(throws: YaraError.self) { try YaraRules(directory: dir) }
        do { _ = try YaraRules(directory: dir) } catch {
            #expect(error.description.contains("bad.yar:3"), "\(error.description)")
        }
    }

    @Test("A renamed, obfuscated miner: the file scan finds nothing, the memory scan finds it", .privileged)
    func renamedMiner() throws {
        try Privileged.check()
        let procs = try TestProcesses("sig")
        defer { procs.stopAll() }
        let dir = try Self.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let exe = try Self.build(in: dir)
        let pid = try Self.start(procs, exe: exe, dir: dir, tag: "a")
        let facts = try Self.scan([pid])
        let p = try #require(facts.list.first { $0.pid == pid })
        #expect(p.comm == "kworker/0:2")
        #expect(p.cmdline.args.first == "[kworker/0:2]")
        let sig = try #require(p.signatures)
        #expect(sig.fileScanned)
        #expect(sig.matches.filter { $0.where == "file" }.isEmpty, "the file holds only XOR'd bytes: \(sig.matches)")
        // The cheap check that made it a candidate: a kernel-thread name on a user-space process with an exe.
        #expect(sig.candidateReasons.contains("fake-kernel-thread"), "\(sig.candidateReasons)")
        #expect(!sig.candidateReasons.contains("temp-exe") && !sig.candidateReasons.contains("deleted-exe"))
        #expect(sig.memoryScanned)
        let memory = sig.matches.filter { $0.where == "memory" }
        #expect(memory.contains { $0.rule == "Miner_Stratum_Protocol" && $0.tags == ["miner"] }, "\(sig.matches)")
        #expect(memory.contains { $0.rule == "Miner_XMRig_Config" }, "\(sig.matches)")
        #expect(memory.allSatisfy { $0.region != nil && $0.offset != nil })
        #expect(sig.fileSHA256?.count == 64)
        #expect(facts.signatures?.available == true)
    }

    @Test("A deleted binary is scanned through /proc/PID/exe; its hash equals the original's", .privileged)
    func deletedBinary() throws {
        try Privileged.check()
        let procs = try TestProcesses("sigdel")
        defer { procs.stopAll() }
        let dir = try Self.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let exe = try Self.build(in: dir)
        let copy = dir + "/copy"
        try Fixtures.copyExecutable(exe, to: copy)
        let original = SHA256.hex(SHA256.hash([UInt8](try Data(contentsOf: URL(fileURLWithPath: exe)))))
        let pid = try Self.start(procs, exe: copy, dir: dir, tag: "d")
        try FileManager.default.removeItem(atPath: copy)
        let facts = try Self.scan([pid])
        let p = try #require(facts.list.first { $0.pid == pid })
        #expect(p.exe?.deleted == true)
        let sig = try #require(p.signatures)
        #expect(sig.fileScanned)
        #expect(sig.candidateReasons.contains("deleted-exe"))
        #expect(sig.fileSHA256 == original)

        // --evidence: the deleted executable is saved through /proc/PID/exe, hash equal to the original's.
        let evidence = dir + "/evidence"
        let manifest = try EvidenceWriter(directory: evidence).write([
            EvidenceRequest(target: .process(pid), cause: "miners/miner-signature-match")
        ])
        let exeEntry = try #require(manifest.files.first { $0.path == "pid-\(pid)/exe" })
        #expect(exeEntry.sha256 == original)
        #expect(exeEntry.exe?.hasSuffix("/copy (deleted)") == true, "\(exeEntry)")
        let saved = [UInt8](try Data(contentsOf: URL(fileURLWithPath: evidence + "/pid-\(pid)/exe")))
        #expect(SHA256.hex(SHA256.hash(saved)) == original)
        for name in ["cmdline", "environ", "maps", "status", "fds.txt", "net-tcp"] {
            #expect(manifest.files.contains { $0.path == "pid-\(pid)/\(name)" }, "\(name) kept")
        }
        var st = stat()
        #expect(lstat(evidence, &st) == 0 && st.st_mode & 0o777 == 0o700)
        let written = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: evidence + "/manifest.json"))) as? [String: Any]
        #expect(written?["schema"] as? String == "hostaudit.evidence/v1")
    }

    @Test("--evidence never writes through a pre-planted symlink", .privileged)
    func evidenceSymlinks() throws {
        try Privileged.check()
        let dir = try Fixtures.temporaryDirectory("ha-evid")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let victim = dir + "/victim"
        try FileManager.default.createDirectory(atPath: victim, withIntermediateDirectories: false)
        try "keep".write(toFile: victim + "/manifest.json", atomically: true, encoding: .utf8)
        // DIR itself a symlink: refused.
        try FileManager.default.createSymbolicLink(atPath: dir + "/link", withDestinationPath: victim)
        #expect(throws: EvidenceWriter.Failure.self) {
            try EvidenceWriter(directory: dir + "/link").write([EvidenceRequest(target: .process(getpid()), cause: "t")])
        }
        // Symlinks planted inside DIR where the writer's names would go.
        let out = dir + "/out"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: false)
        try FileManager.default.createSymbolicLink(atPath: out + "/pid-\(getpid())", withDestinationPath: victim)
        try FileManager.default.createSymbolicLink(atPath: out + "/manifest.json", withDestinationPath: victim + "/manifest.json")
        let manifest = try EvidenceWriter(directory: out, maxTotalBytes: 64 << 20, maxFileBytes: 1 << 20).write([
            EvidenceRequest(target: .process(getpid()), cause: "t")
        ])
        #expect(try String(contentsOfFile: victim + "/manifest.json", encoding: .utf8) == "keep")
        #expect(try FileManager.default.contentsOfDirectory(atPath: victim) == ["manifest.json"])
        #expect(manifest.files.allSatisfy { $0.path.hasPrefix("pid-\(getpid())-2/") }, "\(manifest.files.map(\.path))")
        // The test runner's executable is far above the 1 MiB file bound: listed as skipped, not written.
        #expect(manifest.skipped.contains { $0.source.hasSuffix("/exe") && $0.reason.contains("larger than") })
        var st = stat()
        #expect(lstat(out + "/manifest.json", &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG)
    }

    @Test("A process with a 2 GiB mapping stays inside the per-process memory budget", .privileged)
    func bigMapping() throws {
        try Privileged.check()
        let procs = try TestProcesses("sigbig")
        defer { procs.stopAll() }
        let dir = try Self.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let exe = try Self.build(in: dir)
        let pid = try Self.start(procs, exe: exe, dir: dir, tag: "b", mib: 2048)
        let budget = 32 << 20
        let facts = try Self.scan([pid], perProcess: budget)
        let sig = try #require(facts.list.first { $0.pid == pid }?.signatures)
        #expect(sig.memoryScanned)
        #expect(sig.memoryBytes <= budget)
        #expect(sig.memoryTruncated)
        #expect((facts.signatures?.memoryBytes ?? .max) <= budget)
    }

    @Test("A process whose arguments merely mention xmrig matches nothing, even with --deep", .privileged)
    func mentionOnly() throws {
        try Privileged.check()
        let procs = try TestProcesses("sigmention")
        defer { procs.stopAll() }
        let pid = try procs.start("/bin/sh", ["-c", "while :; do sleep 1; done # xmrig --help", "xmrig"])
        try procs.waitFor(pid) { String(decoding: $0, as: UTF8.self).contains("xmrig") }
        let facts = try Self.scan([pid], deep: true)
        let sig = try #require(facts.list.first { $0.pid == pid }?.signatures)
        #expect(sig.memoryScanned)
        #expect(sig.matches.isEmpty, "\(sig.matches)")
    }

    /// The benign corpus: every ELF executable and shared library of /usr/bin,
    /// /usr/sbin, /usr/lib and the Swift toolchain, up to the size cap.
    @Test("The shipped rules match nothing in this machine's executables and libraries")
    func benignCorpus() throws {
        let rules = try YaraRules(directory: Self.rulesDirectory)
        let scanner = SignatureScanner(rules: rules, options: SignatureScanOptions(rulesDirectory: Self.rulesDirectory))
        var roots = ["/usr/bin", "/usr/sbin", "/usr/lib"]
        let toolchain = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
        if toolchain.hasPrefix("/opt/swift") || FileManager.default.fileExists(atPath: "/opt/swift") { roots.append("/opt/swift") }
        var matches: [SignatureMatch] = []
        var elf = 0
        for root in roots {
            guard let e = FileManager.default.enumerator(atPath: root) else { continue }
            while let rel = e.nextObject() as? String {
                let path = root + "/" + rel
                guard let a = try? FileManager.default.attributesOfItem(atPath: path),
                    a[.type] as? FileAttributeType == .typeRegular,
                    let size = a[.size] as? Int, size >= 64, size <= scanner.options.fileSizeCap,
                    let h = FileHandle(forReadingAtPath: path)
                else { continue }
                let magic = (try? h.read(upToCount: 4)) ?? Data()
                try? h.close()
                guard magic == Data([0x7f, 0x45, 0x4c, 0x46]) else { continue }
                elf += 1
                matches += scanner.scanFile(atPath: path).matches
            }
        }
        print("benign corpus: \(elf) ELF files scanned (\(scanner.filesScanned) distinct), \(matches.count) matches")
        #expect(elf > 1000)
        #expect(matches.isEmpty, "\(matches.map { "\($0.rule) \($0.path ?? "")" })")
    }
}
