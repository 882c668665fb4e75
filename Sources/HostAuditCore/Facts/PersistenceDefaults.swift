/// Domain suffixes whose appearance in /etc/hosts is an indicator
/// (docs/miners.md §5 "/etc/hosts"). The defaults come from docs/miners.md §3; policy
/// lists can replace them later.
public struct PersistenceDomainLists: Sendable, Equatable {
    public var pool: [String]
    public var securityVendor: [String]

    public init(pool: [String], securityVendor: [String]) {
        self.pool = pool
        self.securityVendor = securityVendor
    }

    /// docs/miners.md §3 "Domain suffixes", campaign pools and xmrig donation hosts
    /// (`mooo.com` left out: docs/miners.md notes its many false positives).
    public static let defaultPool = [
        "minexmr.com", "supportxmr.com", "nanopool.org", "c3pool.com", "c3pool.org", "moneroocean.stream",
        "hashvault.pro", "2miners.com", "f2pool.com", "herominers.com", "minergate.com", "crypto-pool.fr",
        "xmrpool.eu", "xmrpool.net", "dwarfpool.com", "ethermine.org", "ethpool.org", "slushpool.com", "antpool.com",
        "unmineable.com", "nicehash.com", "nicehash.net", "miningocean.org", "luckpool.net", "zpool.ca",
        "zergpool.com", "mining-dutch.nl", "hashcity.org", "monerohash.com", "moneropool.com", "miningpoolhub.com",
        "xmrig.com", "poolto.be", "prohash.net", "suprnova.cc", "viabtc.com", "poolin.com", "flexpool.io",
        "hiveon.net", "a-dog.top",
    ]

    /// Update and service hosts of the cloud security agents miners remove.
    /// `aegis.aliyun.com` is from docs/miners.md §5 (`update.aegis.aliyun.com`); the
    /// rest are the vendors' own domains for the agents listed in §5 (inference).
    public static let defaultSecurityVendor = [
        "aegis.aliyun.com", "aliyundun.com", "qcloud.com", "tencentyun.com", "myhuaweicloud.com",
        "crowdstrike.com", "qualys.com", "qualys.eu", "sentinelone.net", "trendmicro.com", "wazuh.com",
    ]

    public static let `default` = PersistenceDomainLists(pool: defaultPool, securityVendor: defaultSecurityVendor)

    /// The suffix and list (`pool`, `security-vendor`) a name falls under, if any.
    public func match(_ name: String) -> (String, String)? {
        var n = name.lowercased()
        while n.hasSuffix(".") { n.removeLast() }
        func under(_ suffix: String) -> Bool { n == suffix || n.hasSuffix("." + suffix) }
        if let s = pool.first(where: under) { return (s, "pool") }
        if let s = securityVendor.first(where: under) { return (s, "security-vendor") }
        return nil
    }
}

/// A cloud or endpoint security agent miners uninstall or kill (docs/miners.md §5,
/// "Cloud-agent removal" rows and the B20 indicator).
public struct CloudAgentDefinition: Sendable, Equatable {
    public var id: String
    public var vendor: String
    public var product: String
    /// Host paths whose existence means the agent is (or was) installed.
    public var paths: [String]
    /// Unit files that mean the same.
    public var units: [String]
    /// Process names: matched against comm (the kernel keeps 15 characters) and the exe's base name.
    public var processes: [String]

    public init(id: String, vendor: String, product: String, paths: [String], units: [String], processes: [String]) {
        self.id = id
        self.vendor = vendor
        self.product = product
        self.paths = paths
        self.units = units
        self.processes = processes
    }

    /// Whether a process with this comm and exe is one of the agent's.
    public func matches(comm: String, exe: String?) -> Bool {
        let exeBase = exe.map { e -> String in
            var b = ShellCommand.basename(e)
            if b.hasSuffix(" (deleted)") { b.removeLast(" (deleted)".count) }
            return b
        }
        return processes.contains { p in comm == String(p.prefix(15)) || exeBase == p }
    }

    public static let defaults: [CloudAgentDefinition] = [
        .init(
            id: "alibaba-aegis", vendor: "Alibaba Cloud", product: "Security Center agent (Aegis / AliYunDun)",
            paths: ["/usr/local/aegis"], units: ["aegis.service"],
            processes: ["AliYunDun", "AliYunDunMonitor", "AliYunDunUpdate", "aegis_cli", "aegis_update", "alihids", "AliHips", "AliNet", "AliSecCheck"]),
        .init(
            id: "alibaba-assist", vendor: "Alibaba Cloud", product: "Cloud Assistant",
            paths: ["/usr/local/share/aliyun-assist", "/usr/local/share/assist-daemon", "/usr/sbin/aliyun-service"],
            units: ["aliyun.service"], processes: ["aliyun-service", "assist_daemon"]),
        .init(
            id: "alibaba-cloudmonitor", vendor: "Alibaba Cloud", product: "CloudMonitor",
            paths: ["/usr/local/cloudmonitor"], units: ["cloudmonitor.service"], processes: ["CmsGoAgent", "CmsGoAgent.linux-amd64"]),
        .init(
            id: "tencent-yunjing", vendor: "Tencent Cloud", product: "Host Security (YunJing)",
            paths: ["/usr/local/qcloud/YunJing"], units: ["YDService.service"], processes: ["YDService", "YDLive", "YDEdr"]),
        .init(
            id: "tencent-stargate", vendor: "Tencent Cloud", product: "stargate agent",
            paths: ["/usr/local/qcloud/stargate"], units: [], processes: ["sgagent", "sgagent64"]),
        .init(
            id: "tencent-barad", vendor: "Tencent Cloud", product: "Cloud Monitor (barad)",
            paths: ["/usr/local/qcloud/monitor/barad"], units: [], processes: ["barad_agent"]),
        .init(
            id: "huawei-hostguard", vendor: "Huawei Cloud", product: "HostGuard",
            paths: ["/usr/local/hostguard"], units: ["hostguard.service"], processes: ["hostguard"]),
        .init(
            id: "aws-ssm", vendor: "AWS", product: "SSM Agent",
            paths: ["/usr/bin/amazon-ssm-agent", "/snap/amazon-ssm-agent"],
            units: ["amazon-ssm-agent.service", "snap.amazon-ssm-agent.amazon-ssm-agent.service"],
            processes: ["amazon-ssm-agent", "ssm-agent-worker"]),
        .init(
            id: "aws-cloudwatch", vendor: "AWS", product: "CloudWatch agent",
            paths: ["/opt/aws/amazon-cloudwatch-agent"], units: ["amazon-cloudwatch-agent.service"],
            processes: ["amazon-cloudwatch-agent"]),
        .init(
            id: "azure-waagent", vendor: "Microsoft Azure", product: "Linux Agent (waagent)",
            paths: ["/usr/sbin/waagent"], units: ["walinuxagent.service", "waagent.service"], processes: ["waagent"]),
        .init(
            id: "google-guest-agent", vendor: "Google Cloud", product: "guest agent",
            paths: ["/usr/bin/google_guest_agent"], units: ["google-guest-agent.service"], processes: ["google_guest_agent"]),
        .init(
            id: "qualys", vendor: "Qualys", product: "Cloud Agent",
            paths: ["/usr/local/qualys/cloud-agent"], units: ["qualys-cloud-agent.service"], processes: ["qualys-cloud-agent"]),
        .init(
            id: "crowdstrike", vendor: "CrowdStrike", product: "Falcon sensor",
            paths: ["/opt/CrowdStrike"], units: ["falcon-sensor.service"], processes: ["falcond", "falcon-sensor"]),
    ]
}

/// Files whose immutable or append-only flag is an indicator (docs/miners.md B17).
package enum SensitiveFiles {
    package static let fixed = [
        "/etc/passwd", "/etc/shadow", "/etc/group", "/etc/gshadow", "/etc/sudoers", "/etc/ld.so.preload",
        "/etc/resolv.conf", "/etc/hosts", "/etc/crontab", "/etc/anacrontab", "/etc/rc.local", "/etc/profile",
        "/etc/bash.bashrc", "/etc/ssh/sshd_config", "/root/.bashrc", "/root/.bash_profile", "/root/.profile",
    ]
}
