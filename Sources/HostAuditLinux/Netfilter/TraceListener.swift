#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CNetfilter
import HostAuditCore
import SystemPackage

/// One `NFT_MSG_TRACE` event, copied out of libnftnl.
package struct TraceEvent: Sendable, Hashable {
    /// `NFT_TRACETYPE_POLICY` 1, `RETURN` 2, `RULE` 3.
    package var type: UInt32
    package var id: UInt32
    package var family: Family
    package var table: String
    package var chain: String
    var ruleHandle: UInt64?
    package var verdict: Verdict?
    package var policy: UInt32?
}

/// Typed accessors for `nftnl_trace` attributes: lengths are checked, so a
/// wrong width gives nil instead of garbage.
struct NftnlTrace {
    let ptr: OpaquePointer

    func data(_ attr: nftnl_trace_attr) -> UnsafeRawBufferPointer? {
        let id = UInt16(attr.rawValue)
        guard nftnl_trace_is_set(ptr, id) else { return nil }
        var len: UInt32 = 0
        guard let p = nftnl_trace_get_data(ptr, id, &len) else { return nil }
        return UnsafeRawBufferPointer(start: p, count: Int(len))
    }
    func u32(_ attr: nftnl_trace_attr) -> UInt32? {
        guard let d = data(attr), d.count == 4 else { return nil }
        return d.loadUnaligned(as: UInt32.self)
    }
    func u64(_ attr: nftnl_trace_attr) -> UInt64? {
        guard let d = data(attr), d.count == 8 else { return nil }
        return d.loadUnaligned(as: UInt64.self)
    }
    func str(_ attr: nftnl_trace_attr) -> String? {
        guard let d = data(attr), let base = d.baseAddress, d.count > 0 else { return nil }
        return String(decoding: UnsafeRawBufferPointer(start: base, count: d.count).prefix { $0 != 0 }, as: UTF8.self)
    }
}

/// A netlink socket joined to `NFNLGRP_NFTRACE`, with a large forced receive buffer.
final class TraceListener {
    private let nl: OpaquePointer
    private let rx: UnsafeMutableRawBufferPointer
    private(set) var lostEvents = false

    init() throws(ProbeError) {
        guard let nl = mnl_socket_open(NETLINK_NETFILTER) else {
            throw TraceTable.error("mnl_socket_open", .current)
        }
        if case .failure(let e) = valueOrErrno({ mnl_socket_bind(nl, 0, pid_t(MNL_SOCKET_AUTOPID)) }) {
            mnl_socket_close(nl)
            throw TraceTable.error("mnl_socket_bind", e)
        }
        var group = Int32(NFNLGRP_NFTRACE.rawValue)
        if case .failure(let e) = valueOrErrno({
            mnl_socket_setsockopt(nl, NETLINK_ADD_MEMBERSHIP, &group, socklen_t(MemoryLayout<Int32>.size))
        }) {
            mnl_socket_close(nl)
            throw TraceTable.error("NETLINK_ADD_MEMBERSHIP NFNLGRP_NFTRACE", e)
        }
        var size: Int32 = 8 << 20
        let fd = mnl_socket_get_fd(nl)
        if setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, socklen_t(MemoryLayout<Int32>.size)) < 0 {
            _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        self.nl = nl
        rx = .allocate(byteCount: 65536, alignment: 8)
    }

    deinit {
        mnl_socket_close(nl)
        rx.deallocate()
    }

    /// Drops whatever is queued (events of earlier probes).
    func drain() { _ = collect(timeoutMs: 0, idleMs: 0, until: { _ in false }) }

    /// Reads events until `timeoutMs` passes, or `idleMs` passes without a new
    /// event once `until` says the interesting part is complete.
    func collect(timeoutMs: Int, idleMs: Int, until done: ([TraceEvent]) -> Bool) -> [TraceEvent] {
        var events: [TraceEvent] = []
        let fd = mnl_socket_get_fd(nl)
        let start = Self.nowMs()
        while true {
            let elapsed = Self.nowMs() - start
            var wait = max(0, timeoutMs - elapsed)
            if !events.isEmpty && done(events) { wait = min(wait, idleMs) }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let r = poll(&p, 1, Int32(wait))
            if r <= 0 { return events }
            let n: Int
            switch valueOrErrno({ recv(fd, rx.baseAddress, rx.count, Int32(MSG_DONTWAIT)) }) {
            case .success(let got): n = got
            case .failure(let e) where e == .noBufferSpace:
                lostEvents = true
                continue
            case .failure(let e) where e == .resourceTemporarilyUnavailable: continue
            case .failure: return events
            }
            var len = Int32(n)
            var m = UnsafePointer(rx.baseAddress!.assumingMemoryBound(to: nlmsghdr.self))
            while mnl_nlmsg_ok(m, len) {
                if Int(m.pointee.nlmsg_type) & 0xff == Int(NFT_MSG_TRACE.rawValue),
                    let t = nftnl_trace_alloc()
                {
                    if nftnl_trace_nlmsg_parse(m, t) >= 0, let e = Self.event(NftnlTrace(ptr: t)) { events.append(e) }
                    nftnl_trace_free(t)
                }
                m = UnsafePointer(mnl_nlmsg_next(m, &len))
            }
        }
    }

    static func event(_ t: NftnlTrace) -> TraceEvent? {
        guard let type = t.u32(NFTNL_TRACE_TYPE), let id = t.u32(NFTNL_TRACE_ID) else { return nil }
        var verdict: Verdict?
        if let v = t.u32(NFTNL_TRACE_VERDICT) {
            verdict = Verdict(code: Int32(bitPattern: v), chain: t.str(NFTNL_TRACE_JUMP_TARGET))
        }
        return TraceEvent(
            type: type, id: id, family: Family(nfproto: t.u32(NFTNL_TRACE_FAMILY) ?? 0),
            table: t.str(NFTNL_TRACE_TABLE) ?? "", chain: t.str(NFTNL_TRACE_CHAIN) ?? "",
            ruleHandle: t.u64(NFTNL_TRACE_RULE_HANDLE), verdict: verdict, policy: t.u32(NFTNL_TRACE_POLICY))
    }

    static func nowMs() -> Int {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int(ts.tv_sec) * 1000 + Int(ts.tv_nsec) / 1_000_000
    }
}
