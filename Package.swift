// swift-tools-version: 6.2
import PackageDescription

// Layout (see README "Layout"): hostaudit → HostAuditLinux → HostAuditCore.
// Only HostAuditLinux imports the C modules; Core is pure Swift and testable
// without privileges.
let package = Package(
    name: "hostaudit",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "hostaudit", targets: ["hostaudit"]),
        .library(name: "HostAuditCore", targets: ["HostAuditCore"]),
        .library(name: "HostAuditLinux", targets: ["HostAuditLinux"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CSELinux",
            pkgConfig: "libselinux",
            providers: [.apt(["libselinux1-dev"])]
        ),
        .systemLibrary(
            name: "CNetfilter",
            pkgConfig: "libnftnl",
            providers: [.apt(["libmnl-dev", "libnftnl-dev"])]
        ),
        // libyara: signature rules over executables and process memory.
        .systemLibrary(
            name: "CYara",
            pkgConfig: "yara",
            providers: [.apt(["libyara-dev"])]
        ),
        // glibc's socket headers (<sys/socket.h>, <netinet/in.h>) as one module; links nothing.
        // CNetfilter and CResolv include its header, so the socket names always belong to CSocket.
        .systemLibrary(name: "CSocket"),
        // glibc's libresolv: per-name-server DNS queries for `egress` (ns_initparse/ns_parserr).
        .systemLibrary(name: "CResolv"),
        // Small C shims for variadic or macro-only kernel interfaces (ioctl, raw syscalls).
        .target(name: "CHostAuditShims"),
        .target(
            name: "HostAuditCore",
            dependencies: [
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                // Only swift-system's types (`Errno`); Core makes no system call.
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        .target(
            name: "HostAuditLinux",
            dependencies: [
                "HostAuditCore", "CSELinux", "CNetfilter", "CHostAuditShims", "CResolv", "CSocket", "CYara",
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "hostaudit",
            dependencies: [
                "HostAuditCore", "HostAuditLinux",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Diagnostic: prints the netfilter snapshot of the current netns as JSON
        // (tests run it under `ip netns exec`; never setns in-process).
        .executableTarget(
            name: "ruleset-dump",
            dependencies: ["HostAuditCore", "HostAuditLinux"]
        ),
        // Diagnostic for the verdict differential test: traces real packets and
        // evaluates the same flows statically, inside a test namespace.
        .executableTarget(
            name: "verdict-lab",
            dependencies: ["HostAuditCore", "HostAuditLinux", "CSocket"]
        ),
        .target(
            name: "HostAuditTestSupport",
            dependencies: ["HostAuditCore", "HostAuditLinux", "CSocket"]
        ),
        .testTarget(
            name: "HostAuditCoreTests",
            dependencies: ["HostAuditCore", "HostAuditTestSupport"]
        ),
        .testTarget(
            name: "HostAuditLinuxTests",
            dependencies: [
                "HostAuditLinux", "HostAuditCore", "HostAuditTestSupport", "CNetfilter", "CSocket",
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        .testTarget(
            name: "HostAuditCLITests",
            dependencies: ["HostAuditCore", "HostAuditTestSupport"]
        ),
    ]
)

// Targets that import the C modules (CSELinux, CNetfilter, CResolv, CSocket, CHostAuditShims, CYara).
// Each declares every C module its files import (.ci/check-imports.sh checks it).
let cModuleImporters: Set<String> = [
    "HostAuditLinux", "HostAuditLinuxTests", "HostAuditTestSupport", "ruleset-dump", "verdict-lab",
]

// Shared settings for every Swift target (swift-nio's closing loop).
for target in package.targets where target.type != .system && target.name != "CHostAuditShims" {
    var settings = target.swiftSettings ?? []
    settings.append(.swiftLanguageMode(.v6))
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    // MemberImportVisibility misfires where C system modules re-export glibc
    // headers: a glibc struct's members (sockaddr.sa_family, timespec.tv_sec)
    // are attributed to whichever module the compiler saw first, so a clean
    // build can fail where an incremental one passed. Off for targets that
    // import the C modules.
    if !cModuleImporters.contains(target.name) {
        settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    }
    target.swiftSettings = settings
}
