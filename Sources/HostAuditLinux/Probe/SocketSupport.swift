#if canImport(Glibc)
import Glibc
#endif
// socket types (SOCK_*, sa_family_t) are imported through the C module that includes <sys/socket.h>.
import CSocket
import Foundation
import HostAuditCore
import SystemPackage

/// An IPv4 or IPv6 socket address built from text (`inet_pton`), kept as
/// bytes so it never crosses an API as a C type.
struct SocketAddress: Sendable, Hashable {
    var family: Int32
    /// 4 or 16 address bytes.
    var bytes: [UInt8]
    var port: UInt16
    var scopeID: UInt32 = 0

    init?(_ text: String, port: Int) {
        self.port = UInt16(truncatingIfNeeded: port)
        if let v4 = IPAddress.parseIPv4(text.utf8) {
            family = AF_INET
            bytes = IPAddress(ipv4: v4).bytes
        } else {
            var addr = Substring(text)
            var scope: UInt32 = 0
            if let pct = text.firstIndex(of: "%") {
                addr = text[..<pct]
                let zone = String(text[text.index(after: pct)...])
                scope = UInt32(zone) ?? if_nametoindex(zone)
            }
            guard let groups = IPAddress.parseIPv6(addr.utf8), let a = IPAddress(ipv6Groups: groups) else { return nil }
            family = AF_INET6
            bytes = a.bytes
            scopeID = scope
        }
    }

    init(family: Int32, bytes: [UInt8], port: UInt16) {
        self.family = family
        self.bytes = bytes
        self.port = port
    }

    var familyName: String { family == AF_INET6 ? "ipv6" : "ipv4" }

    /// Calls `body` with a `sockaddr` pointer and its length.
    func withSockaddr<T>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        if family == AF_INET {
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = port.bigEndian
            withUnsafeMutableBytes(of: &sin.sin_addr) { $0.copyBytes(from: bytes) }
            return withUnsafePointer(to: &sin) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        var sin6 = sockaddr_in6()
        sin6.sin6_family = sa_family_t(AF_INET6)
        sin6.sin6_port = port.bigEndian
        sin6.sin6_scope_id = scopeID
        withUnsafeMutableBytes(of: &sin6.sin6_addr) { $0.copyBytes(from: bytes) }
        return withUnsafePointer(to: &sin6) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
        }
    }

    /// The canonical text, as `inet_ntop` prints it.
    var text: String { Self.format(family: family, bytes: bytes) }

    /// `inet_ntop`'s text of 4 or 16 address bytes (`?` for another length).
    static func format(family: Int32, bytes: [UInt8]) -> String {
        IPAddress(bytes: bytes)?.inetNtopText ?? "?"
    }

    /// The address as a value.
    var address: IPAddress? { IPAddress(bytes: bytes) }
}

extension LocalAddresses {
    /// This host's own addresses (in the current network namespace), compared
    /// as values with an ICMP error's offender.
    static func current() -> Set<IPAddress> {
        Set(read().localAddresses)
    }
}

/// errno → `SocketError` with its symbolic name.
enum ErrnoName {
    static let names: [Int32: String] = [
        EPERM: "EPERM", EACCES: "EACCES", EINVAL: "EINVAL", ECONNREFUSED: "ECONNREFUSED", ETIMEDOUT: "ETIMEDOUT",
        EHOSTUNREACH: "EHOSTUNREACH", ENETUNREACH: "ENETUNREACH", EHOSTDOWN: "EHOSTDOWN", ENOPROTOOPT: "ENOPROTOOPT",
        EADDRNOTAVAIL: "EADDRNOTAVAIL", ECONNRESET: "ECONNRESET", EMFILE: "EMFILE", ENFILE: "ENFILE",
        EAFNOSUPPORT: "EAFNOSUPPORT", ENOBUFS: "ENOBUFS", EMSGSIZE: "EMSGSIZE", ENETDOWN: "ENETDOWN",
        EPROTO: "EPROTO", EADDRINUSE: "EADDRINUSE",
    ]

    static func error(_ e: Int32) -> SocketError {
        SocketError(number: e, name: names[e] ?? "errno \(e)", message: errnoMessage(e))
    }

    static func error(_ e: Errno) -> SocketError { error(e.rawValue) }
}

enum Clock {
    /// CLOCK_MONOTONIC in milliseconds.
    static func nowMs() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) * 1000 + Double(ts.tv_nsec) / 1_000_000
    }
}

enum FileLimit {
    /// Raises the soft RLIMIT_NOFILE to the hard limit and returns the soft limit now in force.
    static func raise() -> Int {
        var rl = rlimit()
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        // Unreadable (it should not be): assume the usual soft limit.
        guard case .success = valueOrErrno({ getrlimit(resource, &rl) }) else { return 1024 }
        if rl.rlim_cur < rl.rlim_max {
            var want = rl
            want.rlim_cur = rl.rlim_max
            if case .success = valueOrErrno({ setrlimit(resource, &want) }) { rl = want }
        }
        return rl.rlim_cur > rlim_t(Int32.max) ? Int(Int32.max) : Int(rl.rlim_cur)
    }

    /// Descriptors open now (entries of /proc/self/fd), or nil.
    static func openCount() -> Int? {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd"))?.count
    }
}

/// Runs blocking socket work on its own thread, so a poll(2) wait never holds
/// a thread of Swift's cooperative pool.
func onDedicatedThread<T: Sendable>(_ name: String, _ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { (c: CheckedContinuation<T, Never>) in
        let t = Thread { c.resume(returning: body()) }
        t.name = name
        t.stackSize = 1 << 20
        t.start()
    }
}

/// Socket options as one-liners.
enum SockOpt {
    @discardableResult
    static func setInt(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32) -> Bool {
        var v = value
        if case .success = valueOrErrno({ setsockopt(fd, level, name, &v, socklen_t(MemoryLayout<Int32>.size)) }) { return true }
        return false
    }

    /// `SO_ERROR`: the socket's pending error (0 for none), or the errno of getsockopt itself.
    static func soError(_ fd: Int32) -> Int32 {
        var v: Int32 = 0
        var len = socklen_t(MemoryLayout<Int32>.size)
        switch valueOrErrno({ getsockopt(fd, SOL_SOCKET, SO_ERROR, &v, &len) }) {
        case .success: return v
        case .failure(let err): return err.rawValue
        }
    }

    /// IP_TTL or IPV6_UNICAST_HOPS: the probe expires at that hop, whose router answers time-exceeded.
    static func setHopLimit(_ fd: Int32, family: Int32, _ hops: Int) {
        let v = Int32(max(1, min(255, hops)))
        if family == AF_INET6 {
            setInt(fd, Int32(IPPROTO_IPV6), IPV6_UNICAST_HOPS, v)
        } else {
            setInt(fd, Int32(IPPROTO_IP), IP_TTL, v)
        }
    }

    /// IP_RECVERR or IPV6_RECVERR, so ICMP errors are queued with their sender.
    static func enableRecvErr(_ fd: Int32, family: Int32) {
        if family == AF_INET6 {
            setInt(fd, Int32(IPPROTO_IPV6), IPV6_RECVERR, 1)
        } else {
            setInt(fd, Int32(IPPROTO_IP), IP_RECVERR, 1)
        }
    }
}

extension SocketAddress {
    /// A non-blocking, close-on-exec socket of `type` for this address's
    /// family: socket(2) through the syscall helper, errno as a value.
    func openSocket(_ type: __socket_type, protocol proto: Int32 = 0) -> Result<Int32, Errno> {
        let flags = Int32(type.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        return valueOrErrno { socket(family, flags, proto) }
    }

    /// A prober's socket: `openSocket` with ICMP errors queued on it
    /// (`IP_RECVERR`/`IPV6_RECVERR`) and, for a hop-limited probe, the hop limit set.
    func openProbeSocket(_ type: __socket_type, protocol proto: Int32 = 0, ttl: Int? = nil) -> Result<Int32, Errno> {
        openSocket(type, protocol: proto).map { fd in
            SockOpt.enableRecvErr(fd, family: family)
            if let ttl { SockOpt.setHopLimit(fd, family: family, ttl) }
            return fd
        }
    }

    /// connect(2) of `fd` to this address; errno as a value (EINPROGRESS for
    /// a non-blocking TCP socket still connecting). connect is not restarted
    /// after EINTR: an interrupted connect goes on in the background (POSIX),
    /// which is what EINPROGRESS says, so it is reported as that.
    func connect(_ fd: Int32) -> Result<Void, Errno> {
        switch valueOrErrno(retryOnInterrupt: false, { withSockaddr { Glibc.connect(fd, $0, $1) } }) {
        case .success: return .success(())
        case .failure(let err) where err.rawValue == EINTR: return .failure(Errno(rawValue: EINPROGRESS))
        case .failure(let err): return .failure(err)
        }
    }

    /// The socket's local end (`getsockname`): the address and port the kernel
    /// bound; nil when it failed or no port is bound yet.
    static func local(of fd: Int32) -> (address: String, port: Int)? {
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &storage) { p in
            valueOrErrno { p.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        }
        guard case .success = named else { return nil }
        switch Int32(storage.ss_family) {
        case AF_INET:
            let sin = withUnsafeBytes(of: storage) { $0.loadUnaligned(as: sockaddr_in.self) }
            let bytes = withUnsafeBytes(of: sin.sin_addr) { Array($0) }
            let port = Int(UInt16(bigEndian: sin.sin_port))
            return port == 0 ? nil : (format(family: AF_INET, bytes: bytes), port)
        case AF_INET6:
            let sin6 = withUnsafeBytes(of: storage) { $0.loadUnaligned(as: sockaddr_in6.self) }
            let bytes = withUnsafeBytes(of: sin6.sin6_addr) { Array($0) }
            let port = Int(UInt16(bigEndian: sin6.sin6_port))
            return port == 0 ? nil : (format(family: AF_INET6, bytes: bytes), port)
        default:
            return nil
        }
    }
}

/// send(2), recv(2) and poll(2) for the probers, through the syscall helper:
/// errno comes back as a value, read at once.
enum SocketIO {
    /// Sends `bytes` (an empty datagram is a valid probe), EINTR retried.
    static func send(_ fd: Int32, _ bytes: [UInt8], flags: Int32 = 0) -> Result<Int, Errno> {
        valueOrErrno {
            bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1), $0.count, flags) }
        }
    }

    /// Receives into `buffer`, EINTR retried; the byte count.
    static func receive(_ fd: Int32, into buffer: inout [UInt8], flags: Int32 = 0) -> Result<Int, Errno> {
        valueOrErrno { buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, flags) } }
    }

    /// One poll(2): the number of ready descriptors, or errno (`.interrupted`
    /// included: the caller's loop recomputes its time-out and polls again).
    static func poll(_ fds: inout [pollfd], timeoutMs: Int32) -> Result<Int32, Errno> {
        fds.withUnsafeMutableBufferPointer { buf in valueOrErrno(retryOnInterrupt: false) { Glibc.poll(buf.baseAddress, nfds_t(buf.count), timeoutMs) } }
    }
}
