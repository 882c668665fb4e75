/// The `kernel` section of `hostaudit facts`: taint flags, loaded modules,
/// and modules the kernel knows (`/sys/module`) that `/proc/modules` does not
/// list — what a rootkit such as Diamorphine leaves behind when it unlinks
/// itself from the module list (B23).
///
/// Paths policies read, e.g. `kernel.taint.letters`, `kernel.taint.flags[].letter`,
/// `kernel.modules[].name`, `kernel.hidden_modules[].name`, `kernel.sysctl.…` (SysctlFacts).
public struct KernelFacts: Encodable, Sendable, Equatable {
    /// False with `--root` (these are live-kernel facts).
    public var available: Bool
    public var unavailableReason: String?
    public var taint: Taint?
    public var modules: [Module]
    /// Names in /sys/module with an `initstate` (loadable modules) absent from /proc/modules.
    public var hiddenModules: [HiddenModule]
    public var errors: [String]
    /// Network kernel parameters: live, configured, effective per interface,
    /// drift. Collected with `--root` too (configured values only).
    public var sysctl: SysctlFacts

    public init(
        available: Bool, unavailableReason: String? = nil, taint: Taint?, modules: [Module],
        hiddenModules: [HiddenModule], errors: [String] = [], sysctl: SysctlFacts = .unavailable("not collected")
    ) {
        self.sysctl = sysctl
        self.available = available
        self.unavailableReason = unavailableReason
        self.taint = taint
        self.modules = modules
        self.hiddenModules = hiddenModules
        self.errors = errors
    }

    public static func unavailable(_ reason: String, sysctl: SysctlFacts = .unavailable("not collected")) -> KernelFacts {
        KernelFacts(available: false, unavailableReason: reason, taint: nil, modules: [], hiddenModules: [], sysctl: sysctl)
    }

    public struct Taint: Encodable, Sendable, Equatable {
        /// `/proc/sys/kernel/tainted`.
        public var value: UInt64
        /// The letters of the set bits, in bit order (as the kernel prints them after `Tainted:`).
        public var letters: String
        public var flags: [Flag]

        public struct Flag: Encodable, Sendable, Equatable {
            public var bit: Int
            public var letter: String
            public var description: String
        }

        /// Bits from Documentation/admin-guide/tainted-kernels.rst.
        public static let table: [(letter: Character, description: String)] = [
            ("P", "proprietary module was loaded"),
            ("F", "module was force loaded"),
            ("S", "kernel running on an out of specification system"),
            ("R", "module was force unloaded"),
            ("M", "processor reported a Machine Check Exception"),
            ("B", "bad page referenced or unexpected page flags"),
            ("U", "taint requested by userspace application"),
            ("D", "kernel died recently (OOPS or BUG)"),
            ("A", "ACPI table overridden by user"),
            ("W", "kernel issued warning"),
            ("C", "staging driver was loaded"),
            ("I", "workaround for bug in platform firmware applied"),
            ("O", "externally-built (out-of-tree) module was loaded"),
            ("E", "unsigned module was loaded"),
            ("L", "soft lockup occurred"),
            ("K", "kernel has been live patched"),
            ("X", "auxiliary taint, defined for and used by distros"),
            ("T", "kernel was built with the struct randomization plugin"),
            ("N", "an in-kernel test has been run"),
            ("J", "userspace used a mutating debug operation in fwctl"),
        ]

        public static func decode(_ value: UInt64) -> Taint {
            var flags: [Flag] = []
            for bit in 0..<64 where value & (1 << UInt64(bit)) != 0 {
                if bit < table.count {
                    flags.append(Flag(bit: bit, letter: String(table[bit].letter), description: table[bit].description))
                } else {
                    flags.append(Flag(bit: bit, letter: "?", description: "unknown taint bit"))
                }
            }
            return Taint(value: value, letters: flags.map(\.letter).joined(), flags: flags)
        }
    }

    /// One line of /proc/modules.
    public struct Module: Encodable, Sendable, Equatable {
        public var name: String
        public var size: Int
        public var refcount: Int
        public var usedBy: [String]
        /// `Live`, `Loading` or `Unloading`.
        public var state: String
        /// Taint letters of the module itself (`O`, `E`, …), empty when none.
        public var taint: String

        public init(name: String, size: Int, refcount: Int, usedBy: [String], state: String, taint: String) {
            self.name = name
            self.size = size
            self.refcount = refcount
            self.usedBy = usedBy
            self.state = state
            self.taint = taint
        }

        /// Parses /proc/modules: `name size refcount deps state address [(taints)]`.
        public static func parse(_ text: String) -> [Module] {
            var out: [Module] = []
            for line in text.split(separator: "\n") {
                let f = line.split(separator: " ", omittingEmptySubsequences: true)
                guard f.count >= 5 else { continue }
                let deps = f[3] == "-" ? [] : f[3].split(separator: ",").map(String.init)
                var taint = ""
                if f.count >= 7, f[6].hasPrefix("(") {
                    taint = String(f[6].dropFirst().prefix(while: { $0 != ")" }))
                }
                out.append(
                    Module(
                        name: String(f[0]), size: Int(f[1]) ?? 0, refcount: Int(f[2]) ?? 0, usedBy: deps,
                        state: String(f[4]), taint: taint))
            }
            return out
        }
    }

    public struct HiddenModule: Encodable, Sendable, Equatable {
        public var name: String
        /// `/sys/module/NAME/initstate` (`live`, `coming`, `going`).
        public var initstate: String?
        /// Section names under `/sys/module/NAME/sections` (e.g. `.text`), when readable.
        public var sections: [String]
        /// `/sys/module/NAME/taint`.
        public var taint: String?

        public init(name: String, initstate: String?, sections: [String], taint: String?) {
            self.name = name
            self.initstate = initstate
            self.sections = sections
            self.taint = taint
        }
    }
}
