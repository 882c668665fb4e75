import HostAuditCore

/// A populated `kernel.sysctl` section built from model values (a
/// configuration with explicit, glob and excluded keys; live values for two
/// interfaces; one drift), for the fact schema and renderer tests.
package enum SysctlSamples {
    package static func populated() -> SysctlFacts {
        var config = SysctlConfiguration()
        var problems = config.add(
            file: "/usr/lib/sysctl.d/50-default.conf",
            bytes: Array("net.ipv4.conf.*.rp_filter = 2\n-net.ipv4.conf.all.rp_filter\n".utf8))
        problems += config.add(
            file: "/etc/sysctl.d/60-net.conf",
            bytes: Array("net.ipv4.ip_forward = 0\nnet.ipv4.ip_forward = 1\n-net.ipv4.tcp_syncookies = 1\nnot an assignment\n".utf8))
        var live = SysctlFacts.LiveValues()
        live.interfaces = ["ipv4": ["eth0", "lo"], "ipv6": ["eth0", "lo"]]
        for g in SysctlCatalog.global { live.values[g.key] = "0" }
        live.values["net.ipv4.tcp_syncookies"] = "1"
        for family in ["ipv4", "ipv6"] {
            for i in ["all", "default", "eth0", "lo"] {
                for n in SysctlCatalog.conf(family) { live.values[SysctlCatalog.confKey(family, i, n)] = "1" }
            }
        }
        live.errors["net.ipv6.conf.eth0.accept_source_route"] = "openat: Permission denied"
        live.values["net.ipv6.conf.eth0.accept_source_route"] = nil
        return SysctlFacts.make(
            configuration: config, files: ["/usr/lib/sysctl.d/50-default.conf", "/etc/sysctl.d/60-net.conf"],
            problems: problems, live: live, liveUnavailableReason: nil, errors: ["sample error"])
    }
}
