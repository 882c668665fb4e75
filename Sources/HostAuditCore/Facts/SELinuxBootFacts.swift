/// `selinux.boot`: whether the kernel command line turns SELinux off or
/// starts it permissive — the running kernel's (`/proc/cmdline`) and the one
/// the boot loader configuration will pass next time (`/etc/default/grub`,
/// `/etc/default/grub.d/*.cfg`, `/etc/kernel/cmdline`, the `options` lines
/// of `/boot/loader/entries/*.conf`; below `--root` too).
///
/// Parameters that keep SELinux from confining anything: `selinux=0`
/// (disabled), `enforcing=0` (permissive from boot), `security=NAME` naming
/// another major LSM, and `lsm=LIST` without `selinux`.
public struct SELinuxBootFacts: Encodable, Sendable, Equatable {
    /// Always true when the section was produced (policy rules test it in `when`).
    public var checked: Bool
    public var cmdlineAvailable: Bool
    public var cmdlineUnavailableReason: String?
    /// The SELinux-related parameters of the running kernel (last occurrence wins, as the kernel parses).
    public var cmdline: Parameters?
    /// Boot loader configuration lines that carry kernel parameters.
    public var bootloader: [BootloaderLine]
    /// Every place that disables SELinux or makes it permissive at boot.
    public var disabling: [Disabling]
    public var errors: [String]

    public struct Parameters: Encodable, Sendable, Equatable {
        public var selinux: String?
        public var enforcing: String?
        public var security: String?
        public var lsm: String?
        public init(selinux: String? = nil, enforcing: String? = nil, security: String? = nil, lsm: String? = nil) {
            self.selinux = selinux
            self.enforcing = enforcing
            self.security = security
            self.lsm = lsm
        }
    }

    public struct BootloaderLine: Encodable, Sendable, Equatable {
        public var path: String
        public var line: Int
        /// `GRUB_CMDLINE_LINUX`, `GRUB_CMDLINE_LINUX_DEFAULT`, `options`, `cmdline`.
        public var setting: String
        public var parameters: Parameters
        public init(path: String, line: Int, setting: String, parameters: Parameters) {
            self.path = path
            self.line = line
            self.setting = setting
            self.parameters = parameters
        }
    }

    public struct Disabling: Encodable, Sendable, Equatable {
        /// `kernel-cmdline` (running kernel) or `bootloader`.
        public var source: String
        public var path: String
        public var line: Int?
        /// `selinux=0`, `enforcing=0`, `security=apparmor`, `lsm=…`.
        public var parameter: String
        /// `disabled` or `permissive`.
        public var effect: String
    }

    public init(
        cmdline: [UInt8]?, cmdlineUnavailableReason: String?, bootloader: [BootloaderLine], errors: [String] = []
    ) {
        checked = true
        cmdlineAvailable = cmdline != nil
        self.cmdlineUnavailableReason = cmdline == nil ? (cmdlineUnavailableReason ?? "not read") : nil
        self.cmdline = cmdline.map { Self.parameters(Self.tokens(String(decoding: $0, as: UTF8.self))) }
        self.bootloader = bootloader
        self.errors = errors
        var d: [Disabling] = []
        if let p = self.cmdline {
            d += Self.disabling(p, source: "kernel-cmdline", path: "/proc/cmdline", line: nil)
        }
        for b in bootloader {
            d += Self.disabling(b.parameters, source: "bootloader", path: b.path, line: b.line)
        }
        disabling = d
    }

    static func disabling(_ p: Parameters, source: String, path: String, line: Int?) -> [Disabling] {
        var out: [Disabling] = []
        func add(_ parameter: String, _ effect: String) {
            out.append(Disabling(source: source, path: path, line: line, parameter: parameter, effect: effect))
        }
        if let v = p.selinux, v == "0" { add("selinux=0", "disabled") }
        if let v = p.enforcing, v == "0" { add("enforcing=0", "permissive") }
        if let v = p.security, !v.isEmpty, v != "selinux" { add("security=\(v)", "disabled") }
        if let v = p.lsm, !v.split(separator: ",").contains("selinux") { add("lsm=\(v)", "disabled") }
        return out
    }

    /// Splits a command line as the kernel does: spaces separate, double quotes group.
    public static func tokens(_ s: String) -> [String] {
        var out: [String] = []
        var cur = ""
        var quoted = false
        var any = false
        for ch in s.prefix(8192) {
            if ch == "\"" {
                quoted.toggle()
                any = true
            } else if !quoted && (ch == " " || ch == "\t" || ch == "\n") {
                if any || !cur.isEmpty { out.append(cur) }
                cur = ""
                any = false
            } else {
                cur.append(ch)
            }
        }
        if any || !cur.isEmpty { out.append(cur) }
        return out
    }

    public static func parameters(_ tokens: [String]) -> Parameters {
        var p = Parameters()
        for t in tokens {
            guard let eq = t.firstIndex(of: "=") else { continue }
            let key = t[..<eq], value = String(t[t.index(after: eq)...])
            switch key {
            case "selinux": p.selinux = value
            case "enforcing": p.enforcing = value
            case "security": p.security = value
            case "lsm": p.lsm = value
            default: break
            }
        }
        return p
    }

    /// `GRUB_CMDLINE_LINUX[_DEFAULT]=…` lines of a GRUB defaults file (shell
    /// syntax: the quoted value's words, `$VARIABLE` words skipped).
    public static func grubLines(_ bytes: [UInt8], path: String) -> [BootloaderLine] {
        var out: [BootloaderLine] = []
        for (i, raw) in bytes.prefix(1 << 20).split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            let line = String(decoding: raw, as: UTF8.self).trimmingCharacters(in: " \t")
            for name in ["GRUB_CMDLINE_LINUX_DEFAULT", "GRUB_CMDLINE_LINUX"] {
                let prefixes = [name + "=", "export " + name + "="]
                guard let pre = prefixes.first(where: { line.hasPrefix($0) }) else { continue }
                var value = String(line.dropFirst(pre.count))
                // The shell word: its quotes delimit the value, whose words are the parameters.
                for q: Character in ["'", "\""] where value.hasPrefix(String(q)) {
                    let rest = value.dropFirst()
                    value = String(rest[..<(rest.firstIndex(of: q) ?? rest.endIndex)])
                    break
                }
                let words = tokens(value).filter { !$0.hasPrefix("$") }
                out.append(BootloaderLine(path: path, line: i + 1, setting: name, parameters: parameters(words)))
                break
            }
        }
        return out
    }

    /// `options` lines of a Boot Loader Specification entry.
    public static func loaderEntryLines(_ bytes: [UInt8], path: String) -> [BootloaderLine] {
        var out: [BootloaderLine] = []
        for (i, raw) in bytes.prefix(1 << 20).split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            let line = String(decoding: raw, as: UTF8.self).trimmingCharacters(in: " \t")
            guard line.hasPrefix("options ") || line.hasPrefix("options\t") else { continue }
            out.append(BootloaderLine(path: path, line: i + 1, setting: "options", parameters: parameters(tokens(String(line.dropFirst(8))))))
        }
        return out
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
