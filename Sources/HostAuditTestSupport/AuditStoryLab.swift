import Foundation

/// The `audit --profile post-compromise` story in the namespace lab, as the
/// audit lab test and the HTML browser test both stage it.
extension EgressLab {
    /// The story's `audit` arguments (the caller adds `--format …`).
    package static let auditStoryArguments = [
        "audit", "--profile", "post-compromise", "--policy", Fixtures.path("policies/audit-lab/miners.yaml"),
        "--policy", Fixtures.packageRoot + "/Policies/baseline.yaml",
        "--probe", "10.66.2.2:80", "--probe", "10.66.2.2:87", "--probe", "mirror.lab.example:80", "--timeout", "1.5",
        // The story's miner rule reads command lines. The YARA pass over every process is not part of
        // it, and on a loaded machine it can push the processes collector past its budget (the miner
        // finding would then be `error`).
        "--no-signatures",
    ]

    /// Runs `body` with the story staged: the client drops 10.66.2.2:87 itself
    /// (`local egress drop`), its only name server is the dead one, and a
    /// miner-like process runs (a copy of dash named `kworkerds` whose argv
    /// names a stratum pool in the lab). All of it is undone after `body`,
    /// even when it throws; the process is a `LinkedChild`.
    package func withAuditStory<T>(_ body: () throws -> T) throws -> T {
        try clientRules("""
            table ip labclient {
              chain output { type filter hook output priority filter; policy accept;
                ip daddr 10.66.2.2 tcp dport 87 counter drop comment "local egress drop"
              }
            }
            """)
        // The client namespace's resolver: only the dead name server (ip netns exec bind-mounts it).
        let netnsEtc = "/etc/netns/\(client.name)"
        let hadNetnsDir = FileManager.default.fileExists(atPath: "/etc/netns")
        try FileManager.default.createDirectory(atPath: netnsEtc, withIntermediateDirectories: true)
        defer {
            try? FileManager.default.removeItem(atPath: netnsEtc)
            if !hadNetnsDir { rmdir("/etc/netns") }
        }
        try "nameserver \(EgressLab.deadDNSV4)\n".write(toFile: netnsEtc + "/resolv.conf", atomically: true, encoding: .utf8)

        let dir = try Fixtures.temporaryDirectory("ha-audit-story")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Fixtures.copyExecutable("/bin/dash", to: dir + "/kworkerds")
        let miner = try LinkedChild([
            "/bin/bash", "-c",
            "exec -a kworkerds \(dir)/kworkerds -c 'while :; do sleep 1; done' -o stratum+tcp://10.66.2.2:3333 --donate-level 1",
        ])
        defer { miner.stop() }
        // The miner must be in /proc with its argv before the audit reads it (a hang guard, not a timing assertion).
        let deadline = Date().addingTimeInterval(30)
        while !((try? String(contentsOfFile: "/proc/\(miner.pid)/cmdline", encoding: .utf8)) ?? "").contains("stratum+tcp"),
            Date() < deadline
        {
            usleep(20_000)
        }
        return try body()
    }
}
