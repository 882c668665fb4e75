import SystemPackage

/// The raw SELinux state read from the running kernel through libselinux.
///
/// Optionals are nil when the value could not be read (SELinux disabled, or the
/// read failed: then `errors` says why).
public struct SELinuxRuntimeState: Sendable, Equatable {
    /// `is_selinux_enabled()`: libselinux's own answer, which also requires
    /// /etc/selinux/config to exist. nil if it reported an error.
    public var libselinuxEnabled: Bool?
    /// Where libselinux found selinuxfs (`selinux_mnt`); nil when not mounted.
    public var selinuxfsMount: String?
    /// Whether /sys/fs/selinux exists (the kernel creates it when SELinux is
    /// enabled at boot, whether or not selinuxfs is mounted there).
    public var sysFsSelinuxPresent: Bool?
    /// `security_getenforce()`: true enforcing, false permissive.
    public var enforcing: Bool?
    /// `is_selinux_mls_enabled()`.
    public var mlsEnabled: Bool?
    /// `security_deny_unknown()`: the policy denies unknown classes/permissions.
    public var denyUnknown: Bool?
    /// `security_reject_unknown()`: the kernel refuses a policy lacking known classes.
    public var rejectUnknown: Bool?
    /// `security_policyvers()`: the highest policy version the kernel supports.
    public var policyVersion: Int?
    /// Booleans with current and pending values, sorted by name; nil when not read.
    public var booleans: [SELinuxBoolean]?
    /// Reads that failed while selinuxfs was mounted.
    public var errors: [SELinuxReadError]

    public init(
        libselinuxEnabled: Bool? = nil, selinuxfsMount: String? = nil, sysFsSelinuxPresent: Bool? = nil,
        enforcing: Bool? = nil, mlsEnabled: Bool? = nil, denyUnknown: Bool? = nil, rejectUnknown: Bool? = nil,
        policyVersion: Int? = nil, booleans: [SELinuxBoolean]? = nil, errors: [SELinuxReadError] = []
    ) {
        self.libselinuxEnabled = libselinuxEnabled
        self.selinuxfsMount = selinuxfsMount
        self.sysFsSelinuxPresent = sysFsSelinuxPresent
        self.enforcing = enforcing
        self.mlsEnabled = mlsEnabled
        self.denyUnknown = denyUnknown
        self.rejectUnknown = rejectUnknown
        self.policyVersion = policyVersion
        self.booleans = booleans
        self.errors = errors
    }

    /// SELinux is enabled in the running kernel as userspace sees it:
    /// selinuxfs is mounted (what `getenforce` goes by).
    public var kernelEnabled: Bool { selinuxfsMount != nil }
}

/// One SELinux boolean: `active` is the value in force, `pending` the value
/// the next commit will set (they differ only mid-change).
public struct SELinuxBoolean: Sendable, Equatable, Codable {
    public var name: String
    public var active: Bool?
    public var pending: Bool?

    public init(name: String, active: Bool?, pending: Bool?) {
        self.name = name
        self.active = active
        self.pending = pending
    }
}

/// A libselinux read that failed.
public struct SELinuxReadError: Sendable, Equatable, Codable {
    /// The libselinux function.
    public var call: String
    /// Human-readable reason, including the errno text.
    public var message: String
    /// Encoded as its number (`Errno` encodes its raw value).
    public var errno: Errno?

    public init(call: String, message: String, errno: Errno?) {
        self.call = call
        self.message = message
        self.errno = errno
    }

    /// With errno as its raw number.
    @_disfavoredOverload
    public init(call: String, message: String, errno: Int32?) {
        self.init(call: call, message: message, errno: errno.map(Errno.init(rawValue:)))
    }

    public init(call: String, _ error: ProbeError) {
        self.init(call: call, message: error.description, errno: error.errno)
    }
}

/// Reads the running kernel's SELinux state: the seam between the facts and libselinux.
public protocol SELinuxRuntimeSource: Sendable {
    func read() throws(ProbeError) -> SELinuxRuntimeState
}

/// The `selinux` section of `hostaudit facts`.
///
/// Paths a policy reads: `selinux.kernel.enabled`, `selinux.kernel.runtime_mode`,
/// `selinux.kernel.booleans.<name>.active`, `selinux.config.mode`,
/// `selinux.config.policy_type`, `selinux.drift` (null when it could not be
/// evaluated, else a list of `{kind, message, configured, runtime}`).
public struct SELinuxFacts: Encodable, Sendable, Equatable {
    /// Whether the running kernel was read (false with `--root`, or when the read failed).
    public var runtimeAvailable: Bool
    public var runtimeUnavailableReason: String?
    public var kernel: Kernel
    public var config: Config
    /// Differences between the configuration and the running kernel; nil when
    /// one side is unknown (so "no drift" is never a guess).
    public var drift: [Drift]?
    /// The kernel command line and boot loader parameters (`selinux=0`,
    /// `enforcing=0`…); nil when not read.
    public var boot: SELinuxBootFacts? = nil
    /// Processes running unconfined as daemons (types `unconfined_service_t`,
    /// `initrc_t`, or `unconfined_t` with init as parent); nil when SELinux is
    /// not enabled in the running kernel, or with `--root`.
    public var unconfinedDaemons: [UnconfinedProcess]? = nil

    public struct UnconfinedProcess: Encodable, Sendable, Equatable {
        public var pid: Int32
        public var ppid: Int32
        public var comm: String
        public var context: String
        public init(pid: Int32, ppid: Int32, comm: String, context: String) {
            self.pid = pid
            self.ppid = ppid
            self.comm = comm
            self.context = context
        }
    }

    /// Whether a process context (`user:role:type:level`) is an unconfined daemon's.
    public static func isUnconfinedDaemon(context: String, ppid: Int32) -> Bool {
        let parts = context.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count >= 3 else { return false }
        switch parts[2] {
        case "unconfined_service_t", "initrc_t": return true
        case "unconfined_t": return ppid == 1
        default: return false
        }
    }

    public struct Kernel: Encodable, Sendable, Equatable {
        /// SELinux enabled in the running kernel (selinuxfs mounted).
        public var enabled: Bool?
        /// enforcing, permissive, or disabled.
        public var runtimeMode: SELinuxMode?
        public var mlsEnabled: Bool?
        public var denyUnknown: Bool?
        public var rejectUnknown: Bool?
        /// allow, deny or reject: the policy's handle_unknown, from the two above.
        public var handleUnknown: String?
        public var policyVersion: Int?
        /// Booleans by name: `{ "<name>": { "active": …, "pending": … } }`.
        public var booleans: BooleanMap?
        /// Booleans whose pending value differs from the active one.
        public var booleansPendingChange: [String]?
        public var selinuxfsMount: String?
        public var sysFsSelinuxPresent: Bool?
        public var libselinuxEnabled: Bool?
        public var errors: [SELinuxReadError]

        static let unavailable = Kernel(
            enabled: nil, runtimeMode: nil, mlsEnabled: nil, denyUnknown: nil, rejectUnknown: nil,
            handleUnknown: nil, policyVersion: nil, booleans: nil, booleansPendingChange: nil, selinuxfsMount: nil,
            sysFsSelinuxPresent: nil, libselinuxEnabled: nil, errors: [])
    }

    /// Booleans keyed by name, in name order (so policies read them by path).
    public struct BooleanMap: Encodable, Sendable, Equatable {
        public var booleans: [SELinuxBoolean]

        public subscript(name: String) -> SELinuxBoolean? { booleans.first { $0.name == name } }

        public func encode(to encoder: any Encoder) throws {
            // Encoded as a ready JSONValue so names are kept verbatim (no key conversion).
            var o = JSONObject()
            for b in booleans {
                o[b.name] = .object(
                    JSONObject([
                        ("active", b.active.map(JSONValue.bool) ?? .null),
                        ("pending", b.pending.map(JSONValue.bool) ?? .null),
                    ]))
            }
            var c = encoder.singleValueContainer()
            try c.encode(JSONValue.object(o))
        }
    }

    public struct Config: Encodable, Sendable, Equatable {
        public var path: String
        public var present: Bool?
        public var mode: SELinuxMode?
        public var policyType: String?
        /// Why the file could not be read, when it could not.
        public var error: String?
        public var problems: [FileProblem]
    }

    public struct Drift: Encodable, Sendable, Equatable {
        public var kind: Kind
        public var message: String
        /// The configured mode.
        public var configured: SELinuxMode
        /// The running mode; nil when SELinux is enabled but its mode unreadable.
        public var runtime: SELinuxMode?

        public enum Kind: String, Encodable, Sendable, Equatable {
            /// Both enabled, different modes (e.g. the leftover of `setenforce 0`).
            case runtimeModeDiffersFromConfig = "runtime-mode-differs-from-config"
            /// Config enforcing/permissive, kernel has SELinux disabled.
            case configEnabledKernelDisabled = "config-enabled-kernel-disabled"
            /// Config disabled, kernel has SELinux enabled.
            case configDisabledKernelEnabled = "config-disabled-kernel-enabled"
        }
    }

    /// Builds the facts from what was read. `runtime` is nil when the kernel
    /// was not read; `runtimeUnavailableReason` then says why.
    package static func make(
        runtime: SELinuxRuntimeState?, runtimeUnavailableReason: String?, config: SELinuxConfig
    ) -> SELinuxFacts {
        let kernel = runtime.map(Self.kernel) ?? .unavailable
        let cfg = Config(
            path: config.path, present: config.present, mode: config.mode, policyType: config.policyType,
            error: config.readError, problems: config.problems)
        return SELinuxFacts(
            runtimeAvailable: runtime != nil,
            runtimeUnavailableReason: runtime == nil
                ? (runtimeUnavailableReason ?? "the running kernel was not read") : nil,
            kernel: kernel, config: cfg,
            drift: drift(configured: config.mode, kernelEnabled: kernel.enabled, runtime: kernel.runtimeMode))
    }

    static func kernel(_ s: SELinuxRuntimeState) -> Kernel {
        let enabled = s.kernelEnabled
        let mode: SELinuxMode? = enabled ? s.enforcing.map { $0 ? .enforcing : .permissive } : .disabled
        let handleUnknown: String?
        switch (s.denyUnknown, s.rejectUnknown) {
        case (false?, _): handleUnknown = "allow"
        case (true?, true?): handleUnknown = "reject"
        case (true?, false?): handleUnknown = "deny"
        default: handleUnknown = nil
        }
        let booleans = s.booleans.map { $0.sorted { $0.name < $1.name } }
        let pendingChange = booleans.map { list in
            list.filter { $0.active != nil && $0.pending != nil && $0.active != $0.pending }.map(\.name)
        }
        return Kernel(
            enabled: enabled, runtimeMode: mode, mlsEnabled: s.mlsEnabled, denyUnknown: s.denyUnknown,
            rejectUnknown: s.rejectUnknown, handleUnknown: handleUnknown, policyVersion: s.policyVersion,
            booleans: booleans.map(BooleanMap.init), booleansPendingChange: pendingChange,
            selinuxfsMount: s.selinuxfsMount, sysFsSelinuxPresent: s.sysFsSelinuxPresent,
            libselinuxEnabled: s.libselinuxEnabled, errors: s.errors)
    }

    /// Compares the configured mode with the running kernel; nil when either is unknown.
    static func drift(configured: SELinuxMode?, kernelEnabled: Bool?, runtime: SELinuxMode?) -> [Drift]? {
        guard let configured, let kernelEnabled else { return nil }
        switch configured {
        case .disabled:
            guard kernelEnabled else { return [] }
            let now = runtime.map { $0.rawValue } ?? "enabled"
            return [
                Drift(
                    kind: .configDisabledKernelEnabled,
                    message:
                        "The configuration says disabled, but SELinux is \(now) in the running kernel. "
                        + "The setting takes effect only at the next boot; to disable SELinux completely, use selinux=0 "
                        + "on the kernel command line (kernels since 6.4 cannot disable it at runtime).",
                    configured: configured, runtime: runtime)
            ]
        case .enforcing, .permissive:
            guard kernelEnabled else {
                return [
                    Drift(
                        kind: .configEnabledKernelDisabled,
                        message:
                            "The configuration asks for SELinux \(configured.rawValue), but SELinux is disabled in the "
                            + "running kernel (not built in, disabled with selinux=0 on the kernel command line, or "
                            + "selinuxfs not mounted). Enabling it takes a reboot, and the file system must be relabeled "
                            + "first (touch /.autorelabel, or fixfiles -F onboot), or confined services may fail to start.",
                        configured: configured, runtime: .disabled)
                ]
            }
            guard let runtime else { return nil }
            switch (configured, runtime) {
            case (.enforcing, .permissive):
                return [
                    Drift(
                        kind: .runtimeModeDiffersFromConfig,
                        message:
                            "SELinux is permissive at runtime but configured enforcing: nothing is denied, only logged. "
                            + "This is usually the leftover of `setenforce 0` (or enforcing=0 on the kernel command "
                            + "line); find out why, then run `setenforce 1`.",
                        configured: configured, runtime: runtime)
                ]
            case (.permissive, .enforcing):
                return [
                    Drift(
                        kind: .runtimeModeDiffersFromConfig,
                        message:
                            "SELinux is enforcing at runtime but configured permissive (switched with `setenforce 1` or "
                            + "enforcing=1 on the kernel command line): after the next reboot it will only log denials.",
                        configured: configured, runtime: runtime)
                ]
            default:
                return []
            }
        }
    }

    /// The section as JSON (`JSONValueEncoder`: declaration order, snake_case keys, explicit nulls).
    public func json() -> JSONValue { JSONValueEncoder().encodeValue(self) }
}
