#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CNetfilter
import HostAuditCore
import SystemPackage

/// Why one dump attempt did not produce a snapshot.
enum DumpFailure: Error {
    /// The ruleset changed during the dump (generation moved, `NLM_F_DUMP_INTR`,
    /// or an object vanished between two requests): start over.
    case inconsistent(String)
    /// Anything else: give up.
    case failed(ProbeError)
}

/// An owned `NETLINK_NETFILTER` socket (libmnl) with its request and receive
/// buffers. One per snapshot; never shared across isolation domains.
final class NetlinkSocket {
    private let nl: OpaquePointer
    let portid: UInt32
    private var seq: UInt32
    private let rx: UnsafeMutableRawBufferPointer
    private let tx: UnsafeMutableRawBufferPointer
    /// Statistics for diagnostics and benchmarks.
    private(set) var receiveCalls = 0
    private(set) var messages = 0

    init(receiveBufferSize: Int) throws(ProbeError) {
        guard let nl = mnl_socket_open(NETLINK_NETFILTER) else {
            let err = Errno.current
            if err == .notPermitted || err == .permissionDenied {
                throw .permissionDenied(what: "netlink socket (NETLINK_NETFILTER)", needs: "CAP_NET_ADMIN")
            }
            throw .syscall(name: "mnl_socket_open", path: nil, errno: err)
        }
        if case .failure(let err) = valueOrErrno({ mnl_socket_bind(nl, 0, pid_t(MNL_SOCKET_AUTOPID)) }) {
            mnl_socket_close(nl)
            throw .syscall(name: "mnl_socket_bind", path: nil, errno: err)
        }
        self.nl = nl
        portid = mnl_socket_get_portid(nl)
        seq = UInt32(truncatingIfNeeded: time(nil))
        rx = .allocate(byteCount: max(receiveBufferSize, 16384), alignment: 8)
        tx = .allocate(byteCount: Int(CNetfilter_mnl_socket_buffer_size()), alignment: 8)
    }

    deinit {
        mnl_socket_close(nl)
        rx.deallocate()
        tx.deallocate()
    }

    /// Sends one request and hands every data message of the reply to `body`,
    /// reading until NLMSG_DONE or the final NLMSG_ERROR/ACK.
    ///
    /// The whole reply is always read off the socket, even after a failure or an
    /// `NLM_F_DUMP_INTR` (libmnl's `mnl_cb_run` stops at that flag and would leave
    /// the rest of the dump queued), so the socket can be reused for a retry.
    func request(
        _ type: UInt32, family: UInt32, flags: Int32, what: String,
        payload: (UnsafeMutablePointer<nlmsghdr>) -> Void = { _ in },
        _ body: (UnsafePointer<nlmsghdr>) throws(DumpFailure) -> Void
    ) throws(DumpFailure) {
        seq &+= 1
        let mySeq = seq
        let nlh = nftnl_nlmsg_build_hdr(
            tx.baseAddress!.assumingMemoryBound(to: CChar.self), UInt16(type), UInt16(family), UInt16(flags), mySeq)!
        payload(nlh)
        if case .failure(let err) = valueOrErrno({ mnl_socket_sendto(nl, nlh, Int(nlh.pointee.nlmsg_len)) }) {
            throw .failed(Self.error("mnl_socket_sendto", what: what, errno: err))
        }

        var interrupted = false
        var failure: DumpFailure?
        var done = false
        while !done {
            let n: Int
            switch valueOrErrno({ mnl_socket_recvfrom(nl, rx.baseAddress, rx.count) }) {
            case .success(let got): n = got
            case .failure(let err): throw .failed(Self.error("mnl_socket_recvfrom", what: what, errno: err))
            }
            receiveCalls += 1
            var len = Int32(n)
            var m = UnsafePointer(rx.baseAddress!.assumingMemoryBound(to: nlmsghdr.self))
            while mnl_nlmsg_ok(m, len) {
                let h = m.pointee
                if h.nlmsg_seq == mySeq && (h.nlmsg_pid == 0 || h.nlmsg_pid == portid) {
                    if Int32(h.nlmsg_flags) & NLM_F_DUMP_INTR != 0 { interrupted = true }
                    switch Int32(h.nlmsg_type) {
                    case NLMSG_DONE:
                        done = true
                    case NLMSG_ERROR:
                        // struct nlmsgerr: int error (0 = ACK, else -errno), then the request header.
                        let code = mnl_nlmsg_get_payload(m).loadUnaligned(as: Int32.self)
                        if code != 0 && failure == nil { failure = Self.failure(what: what, errno: Errno(rawValue: -code)) }
                        done = true
                    case NLMSG_NOOP, NLMSG_OVERRUN:
                        break
                    default:
                        messages += 1
                        if !interrupted && failure == nil {
                            do throws(DumpFailure) { try body(m) } catch { failure = error }
                        }
                    }
                }
                m = UnsafePointer(mnl_nlmsg_next(m, &len))
            }
        }
        if interrupted { throw .inconsistent("\(what): dump interrupted (NLM_F_DUMP_INTR)") }
        if let failure { throw failure }
    }

    /// Maps an error the kernel answered with.
    static func failure(what: String, errno err: Errno) -> DumpFailure {
        switch err {
        case .noSuchFileOrDirectory:
            // The table, chain or set went away between two requests.
            return .inconsistent("\(what): \(err)")
        case .interrupted, .resourceTemporarilyUnavailable:
            return .inconsistent("\(what): \(err)")
        default:
            return .failed(error(what, what: what, errno: err))
        }
    }

    static func error(_ name: String, what: String, errno err: Errno) -> ProbeError {
        if err == .notPermitted || err == .permissionDenied {
            return .permissionDenied(what: "nf_tables ruleset (\(what))", needs: "CAP_NET_ADMIN")
        }
        return .library(name: name, errno: err, message: "\(what): \(err)")
    }
}
