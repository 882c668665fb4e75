import HostAuditCore
import HostAuditTestSupport
import Testing

@Suite struct ProcessFactsTests {
    @Test func base64RoundTrip() {
        var rng = SeededRandom(seed: 7)
        for n in 0..<64 {
            let bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let s = HostBytes.base64(bytes)
            #expect(HostBytes.decodeBase64(s) == bytes, "seed \(rng.seed) length \(n)")
        }
        #expect(HostBytes.base64(Array("foobar".utf8)) == "Zm9vYmFy")
        #expect(HostBytes.base64(Array("fo".utf8)) == "Zm8=")
    }

    @Test func hostBytesKeepsValidTextAndFlagsInvalid() {
        let valid = Array("\u{1b}[2J\nok".utf8)
        #expect(HostBytes.text(valid).text == "\u{1b}[2J\nok")
        #expect(HostBytes.text(valid).base64 == nil)
        let invalid: [UInt8] = [0x61, 0xff, 0x62]
        let t = HostBytes.text(invalid)
        #expect(t.text == "a\u{fffd}b")
        #expect(t.base64.flatMap(HostBytes.decodeBase64) == invalid)
    }

    /// `text` takes a shortcut for ASCII; it must give exactly what the
    /// validating decoder gives, for every kind of collection passed in.
    @Test func hostBytesTextEqualsTheValidatingDecoder() {
        var rng = SeededRandom(seed: 11)
        let pieces: [[UInt8]] = [
            Array("a/b.so".utf8), [0x00], [0x1b, 0x5b], [0x7f], [0x80], [0xff], [0xc3, 0xa9], [0xe2, 0x80, 0xae],
            [0xf0, 0x9f, 0x98, 0x80], [0xc3], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], Array(" (deleted)".utf8),
        ]
        for round in 0..<4000 {
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 0...6, using: &rng) { bytes += pieces[Int.random(in: 0..<pieces.count, using: &rng)] }
            let want: (String, String?) =
                String(validating: bytes, as: UTF8.self).map { ($0, nil) }
                ?? (String(decoding: bytes, as: UTF8.self), HostBytes.base64(bytes))
            let views: [(String, String?)] = [
                HostBytes.text(bytes), HostBytes.text(bytes[...]), bytes.withUnsafeBufferPointer { HostBytes.text($0) },
                HostBytes.text(bytes.lazy.map { $0 }),  // not contiguous: the copying path
            ]
            for (n, got) in views.enumerated() {
                #expect(got.0 == want.0 && got.0.utf8.elementsEqual(want.0.utf8), "seed \(rng.seed) round \(round) view \(n)")
                #expect(got.1 == want.1, "seed \(rng.seed) round \(round) view \(n)")
            }
        }
    }

    /// A scan worker's memo of mapped paths changes no fact: each process's
    /// maps built with the memo (shared across processes, also once full)
    /// equal those built without it.
    @Test func mappedPathMemoChangesNoFact() {
        var rng = SeededRandom(seed: 5)
        let paths = [
            "/usr/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2", "/opt/app/libx.so", "/tmp/.x/libz.so",
            "/usr/lib/libgone.so (deleted)", "/memfd:payload (deleted)", "memfd:jit", "/dev/shm/run", "/usr/bin/sleep",
            "/usr/bin/sleep (deleted)", "/home/u/.cache/k.so.1", "[vdso]", "[anon:jit]", "/usr/lib/libc.so.6/",
            "/usr/lib/a.sob", "/usr/lib/\u{301}.so", "/var/tmp", "/usr/lib/x\\012y.so",
        ]
        func build(_ seq: [String], memo: MappedPathMemo?) -> ProcessMaps {
            var b = memo.map { ProcessMaps.Builder(memo: $0) } ?? ProcessMaps.Builder()
            for (k, p) in seq.enumerated() {
                let address = Array("7f00000\(k)000-7f00000\(k)fff".utf8), perms = Array("r-xp".utf8)
                address.withUnsafeBufferPointer { a in
                    perms.withUnsafeBufferPointer { r in
                        Array(p.utf8).withUnsafeBufferPointer { b.addExecutable(address: a, perms: r, path: $0) }
                    }
                }
            }
            return b.maps
        }
        let memo = MappedPathMemo()
        for round in 0..<600 {
            if round == 300 {
                // Fill the memo: the paths met from now on that it lacks are classified afresh.
                var k = 0
                while memo.count < MappedPathMemo.capacity {
                    Array("/opt/fill/lib\(k).so".utf8).withUnsafeBufferPointer { _ = memo.entry(for: $0) }
                    k += 1
                }
            }
            var seq: [String] = []
            for _ in 0..<Int.random(in: 0...40, using: &rng) {
                seq.append(
                    Bool.random(using: &rng)
                        ? paths[Int.random(in: 0..<paths.count, using: &rng)] : "/opt/r\(Int.random(in: 0..<50, using: &rng)).so")
            }
            if Int.random(in: 0..<4, using: &rng) == 0 { seq.append("") }  // anonymous
            #expect(build(seq, memo: memo) == build(seq, memo: nil), "seed \(rng.seed) round \(round)")
        }
        #expect(memo.count == MappedPathMemo.capacity)
    }

    @Test func commandLineBoundsAndCounts() {
        let c = ProcessCommandLine.parse(prefix: Array("a\0b c\0".utf8), totalLength: 6, totalNULs: 2, endsWithNUL: true)
        #expect(c.args == ["a", "b c"] && c.argc == 2 && !c.truncated && c.argsB64 == nil)
        // setproctitle: no trailing NUL
        let p = ProcessCommandLine.parse(prefix: Array("postgres: writer".utf8), totalLength: 16, totalNULs: 0, endsWithNUL: false)
        #expect(p.args == ["postgres: writer"] && p.argc == 1)
        let e = ProcessCommandLine.parse(prefix: [], totalLength: 0, totalNULs: 0, endsWithNUL: false)
        #expect(e.args.isEmpty && e.argc == 0)
        // truncated: the kept prefix cuts the last argument
        let t = ProcessCommandLine.parse(prefix: Array("abc\0de".utf8), totalLength: 100, totalNULs: 5, endsWithNUL: true)
        #expect(t.args == ["abc", "de"] && t.truncated && t.argc == 5 && t.keptBytes == 6)
        let bad = ProcessCommandLine.parse(prefix: [0x61, 0, 0xff, 0], totalLength: 4, totalNULs: 2, endsWithNUL: true)
        #expect(bad.argsB64 == [nil, "/w=="])
        // an empty argument is kept
        let empty = ProcessCommandLine.parse(prefix: [0x61, 0, 0, 0x62, 0], totalLength: 5, totalNULs: 3, endsWithNUL: true)
        #expect(empty.args == ["a", "", "b"] && empty.argc == 3)
    }

    @Test func pathClassification() {
        let d = ProcessPath.classify(Array("/tmp/.x/kdevtmpfsi (deleted)".utf8))
        #expect(d.path == "/tmp/.x/kdevtmpfsi" && d.deleted && d.inTempDir && d.inDotDir && !d.memfd)
        let m = ProcessPath.classify(Array("/memfd:runc_cloned:/proc/self/exe (deleted)".utf8))
        #expect(m.memfd && m.deleted && !m.inDotDir)
        let shm = ProcessPath.classify(Array("/dev/shm/x".utf8))
        #expect(shm.inTempDir && !shm.inDotDir)
        let home = ProcessPath.classify(Array("/root/.cache/x".utf8))
        #expect(home.inDotDir && !home.inTempDir)
        let plain = ProcessPath.classify(Array("/usr/bin/sleep".utf8))
        #expect(!plain.deleted && !plain.inTempDir && !plain.inDotDir && !plain.memfd)
        #expect(!ProcessPath.classify(Array("/tmpfoo/x".utf8)).inTempDir)
        #expect(!ProcessPath.classify(Array("/usr/bin/.hidden".utf8)).inDotDir, "a dot file is not a dot directory")
    }

    @Test func mapsFindInjectedCode() {
        let maps = """
            00400000-00500000 r-xp 00000000 fd:01 777 /usr/bin/sleep
            7f0000000000-7f0000100000 r-xp 00000000 fd:01 456 /usr/lib/x86_64-linux-gnu/libc.so.6
            7f0000100000-7f0000110000 r--p 00100000 fd:01 456 /usr/lib/x86_64-linux-gnu/libc.so.6
            7f0000200000-7f0000210000 r-xp 00000000 fd:01 999 /usr/local/lib/libprocesshider.so
            7f0000220000-7f0000230000 r-xp 00000000 fd:01 998 /tmp/lib x.so (deleted)
            7f0000300000-7f0000310000 rwxp 00000000 00:00 0 
            7f0000320000-7f0000330000 rw-p 00000000 00:00 0 
            7f0000400000-7f0000410000 r-xp 00000000 00:01 1234 /memfd:payload (deleted)
            7ffd00000000-7ffd00001000 r-xp 00000000 00:00 0                          [vdso]

            """
        let m = ProcessMaps.parse(Array(maps.utf8))
        #expect(m.sharedObjects == 3)
        #expect(m.suspiciousLibraries.map(\.path.path) == ["/usr/local/lib/libprocesshider.so", "/tmp/lib x.so"])
        #expect(m.suspiciousLibraries[1].reasons == ["deleted", "temp-dir", "unusual-dir"])
        #expect(m.anonymousExecutableCount == 1 && m.anonymousExecutable.first?.perms == "rwxp")
        #expect(m.deletedExecutable.map(\.path.path) == ["/memfd:payload"])
    }

    @Test func onlyExecutableMappingsCount() {
        // A library is code the process can run: a .so or a deleted file
        // mapped only for reading or writing is data and is not reported.
        let maps = """
            7f0000000000-7f0000100000 r--p 00000000 fd:01 456 /usr/lib/x86_64-linux-gnu/libc.so.6
            7f0000100000-7f0000110000 r-xp 00100000 fd:01 456 /usr/lib/x86_64-linux-gnu/libc.so.6
            7f0000200000-7f0000210000 r--p 00000000 fd:01 999 /tmp/readonly.so
            7f0000220000-7f0000230000 rw-s 00000000 00:01 998 /memfd:shared (deleted)
            7f0000240000-7f0000250000 rw-p 00000000 00:00 0 

            """
        let m = ProcessMaps.parse(Array(maps.utf8))
        #expect(m.sharedObjects == 1)
        #expect(m.suspiciousLibraries.isEmpty && m.deletedExecutable.isEmpty && m.anonymousExecutableCount == 0)
    }

    /// Each distinct library counts once, whether a handful are mapped or
    /// hundreds, and paths that differ only in their last byte or length are
    /// distinct.
    @Test(arguments: [5, 32, 33, 300])
    func sharedObjectsCountEachPathOnce(_ n: Int) {
        var maps = ""
        for round in 0..<3 {
            for k in 0..<n {
                let start = 0x7f00_0000_0000 + (round * n + k) * 0x10000
                maps += String(start, radix: 16) + "-" + String(start + 0x1000, radix: 16)
                maps += " r-xp 00000000 fd:01 \(k) /opt/x/lib\(k).so\n"
            }
        }
        maps += "7e0000000000-7e0000001000 r-xp 00000000 fd:01 1 /opt/x/lib1.so.1\n"
        maps += "7e0000002000-7e0000003000 r-xp 00000000 fd:01 1 /opt/x/lib1.sp\n"
        let m = ProcessMaps.parse(Array(maps.utf8))
        #expect(m.sharedObjects == n + 1, "lib1.so.1 is another shared object; lib1.sp is not one")
        #expect(m.suspiciousLibraries.count == n + 1, "/opt is outside the system library directories")
        #expect(Set(m.suspiciousLibraries.map(\.path.path)).count == n + 1)
    }

    @Test func environReportsOnlySelectedVariables() {
        let e = ProcessEnviron.parse(Array("PATH=/bin\0LD_PRELOAD=/tmp/x.so\0TOKEN=secret\0SKL=1\0noequals\0".utf8), truncated: false)
        #expect(e.variables.map(\.name) == ["LD_PRELOAD", "SKL"])
        #expect(e.variables.first?.value == "/tmp/x.so")
        #expect(e.count == 5)
    }

    @Test(arguments: [
        // pid, ppid, comm, argv0, cmdline length, exe, kthread flag, name-like, reasons
        (2, 0, "kthreadd", nil, 0, false, true, true, [String]()),
        (50, 2, "kworker/0:1-events", nil, 0, false, true, true, []),
        (900, 1, "sleep", "[kworker/0:2]", 20, true, false, true, ["has-exe", "parent-not-kthreadd", "no-kthread-flag", "has-cmdline"]),
        (901, 2, "kswapd0", nil, 0, false, false, true, ["no-kthread-flag"]),
        (902, 1, "kdevtmpfsi", "kdevtmpfsi", 11, true, false, true, ["has-exe", "parent-not-kthreadd", "no-kthread-flag", "has-cmdline"]),
        (903, 1, "sshd", "sshd: root@pts/0", 16, true, false, false, []),
        (904, 1, "md5sum", "md5sum", 7, true, false, false, []),
    ] as [(Int32, Int32, String, String?, Int, Bool, Bool, Bool, [String])])
    func kernelThreadCheck(
        pid: Int32, ppid: Int32, comm: String, argv0: String?, len: Int, exe: Bool, flag: Bool, nameLike: Bool,
        reasons: [String]
    ) {
        let v = KernelThreadCheck.evaluate(
            pid: pid, ppid: ppid, comm: comm, argv0: argv0, cmdlineLength: len, hasExe: exe, kthreadFlag: flag)
        #expect(v.nameLike == nameLike)
        #expect(v.reasons == reasons)
    }

    @Test func taintDecoding() {
        let t = KernelFacts.Taint.decode(12289)
        #expect(t.letters == "POE")
        #expect(t.flags.map(\.bit) == [0, 12, 13])
        #expect(KernelFacts.Taint.decode(0).letters == "")
        #expect(KernelFacts.Taint.decode(1 << 40).flags.first?.letter == "?")
    }

    @Test func modulesParse() {
        let m = KernelFacts.Module.parse("""
            msr 16384 0 - Live 0xffffffffc0a00000
            vboxdrv 696320 2 vboxnetadp,vboxnetflt, Live 0xffffffffc0c00000 (OE)

            """)
        #expect(m.map(\.name) == ["msr", "vboxdrv"])
        #expect(m[1].usedBy == ["vboxnetadp", "vboxnetflt"] && m[1].taint == "OE" && m[0].taint == "")
    }

    @Test func cpuSamplePercentages() {
        let s = CPUSample(intervalSeconds: 1, cpus: 2, hostBusyTicks: 150, hostTotalTicks: 200, processTicks: 50, processesSampled: 3)
        #expect(s.hostBusyPercent == 75 && s.processPercent == 25 && s.unaccountedPercent == 50)
    }
}
