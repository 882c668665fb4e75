import CSocket
import Foundation

/// A child process that cannot outlive the test that starts it, nor leave
/// anything it started behind (a shell's `sleep 3600`, `flock`'s command).
///
/// - The child leads a new process group; `stop()` (call it in a `defer`)
///   kills the whole group with SIGKILL and reaps what this process started.
/// - A watchdog joins that group: `sh -c 'read x; kill -9 0'`, its standard
///   input one end of a socket pair whose other end only this process holds
///   (close-on-exec, so no other child inherits it). When this process ends,
///   however it ends (a crash, SIGKILL from a runner's timeout), the kernel
///   closes that end, the watchdog's read sees end-of-file, and it kills the
///   group.
///
/// The child's standard input, output and error are /dev/null.
package final class LinkedChild {
    /// The child (`argv[0]`), also the process group's id.
    package let pid: pid_t
    private let watchdog: pid_t
    private var writer: Int32
    private var stopped = false

    /// Starts `argv[0]` (an absolute path) with `argv` as its arguments, in
    /// `cwd` when given, with exactly `environment` when given (else this
    /// process's environment).
    package init(_ argv: [String], environment: [String: String]? = nil, cwd: String? = nil) throws {
        precondition(!argv.isEmpty)
        // posix_spawn_file_actions_addchdir_np is not imported into Swift: a
        // shell changes directory and execs argv (same pid, argv as given).
        let spawned = cwd.map { ["/bin/sh", "-c", "cd -- \"$0\" && exec \"$@\"", $0] + argv } ?? argv
        pid = try Self.spawn(spawned, group: 0, stdin: nil, environment: environment)
        var fds: [Int32] = [-1, -1]
        // A socket pair, not a pipe: glibc's pipe2 (atomic close-on-exec) is not imported into Swift.
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else {
            let e = errno
            kill(-pid, SIGKILL)
            waitpid(pid, nil, 0)
            throw POSIXError(POSIXErrorCode(rawValue: e) ?? .EIO)
        }
        defer { close(fds[0]) }
        do {
            watchdog = try Self.spawn(["/bin/sh", "-c", "read x; kill -9 0", "ha-linked-child-watchdog"], group: pid, stdin: fds[0])
        } catch {
            close(fds[1])
            kill(-pid, SIGKILL)
            waitpid(pid, nil, 0)
            throw error
        }
        writer = fds[1]
    }

    private static func spawn(
        _ argv: [String], group: pid_t, stdin: Int32?, environment: [String: String]? = nil
    ) throws -> pid_t {
        let cargs = argv.map { strdup($0) } + [nil]
        defer { for a in cargs { free(a) } }
        let cenv: [UnsafeMutablePointer<CChar>?]? = environment.map { env in
            env.sorted { $0.key < $1.key }.map { strdup($0.key + "=" + $0.value) } + [nil]
        }
        defer { for a in cenv ?? [] { free(a) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let stdin {
            // dup2 onto 0 clears close-on-exec for the watchdog's end, in that child only.
            posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        for fd: Int32 in [1, 2] { posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", O_WRONLY, 0) }
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attr, group)
        var child: pid_t = 0
        let rc =
            if let cenv { posix_spawn(&child, argv[0], &actions, &attr, cargs, cenv) } else {
                posix_spawn(&child, argv[0], &actions, &attr, cargs, environ)
            }
        guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EIO) }
        return child
    }

    /// Closes this process's end of the watchdog's socket, as the end of this
    /// process would: the watchdog then kills the group by itself.
    package func releaseWatchdog() {
        if writer >= 0 { close(writer) }
        writer = -1
    }

    /// Kills the process group (SIGKILL) and reaps the child and the
    /// watchdog; only the first call does anything.
    package func stop() {
        releaseWatchdog()
        guard !stopped else { return }
        stopped = true
        kill(-pid, SIGKILL)
        for p in [pid, watchdog] {
            while waitpid(p, nil, 0) == -1 && errno == EINTR {}
        }
    }

    /// Processes of the child's group that still run (zombies do not count):
    /// empty once the group has been killed.
    package func runningGroupMembers() -> [pid_t] { Self.runningMembers(ofGroup: pid) }

    /// The pids in process group `pgid` that are not zombies, from /proc.
    package static func runningMembers(ofGroup pgid: pid_t) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { name -> pid_t? in
            guard let p = pid_t(name), let stat = try? String(contentsOfFile: "/proc/\(p)/stat", encoding: .utf8),
                let end = stat.range(of: ")", options: .backwards)
            else { return nil }
            // After "pid (comm)": state, ppid, pgrp.
            let fields = stat[end.upperBound...].split(separator: " ")
            guard fields.count > 2, fields[0] != "Z", pid_t(fields[2]) == pgid else { return nil }
            return p
        }
    }

    deinit { stop() }
}
