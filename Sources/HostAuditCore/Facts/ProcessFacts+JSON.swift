import Foundation
import Synchronization

/// Direct `JSONValue` trees for the process facts.
///
/// A scan of 10,000 processes produces about 600,000 JSON values; building
/// them through `Encodable` (one encoder node, container and coding path per
/// field) cost more than reading `/proc`. These builders produce the same
/// tree the synthesised `Encodable` conformances produce through
/// `JSONValueEncoder` (same snake_case keys, same order, `null` for nil),
/// which `ProcessFactsJSONTests` checks against the Codable path. A field added
/// to one of these types must be added here too (the test fails otherwise).
extension ProcessesFacts: JSONValueConvertible {
    public var jsonValue: JSONValue {
        var o = JSONObject(capacity: 14)
        o.appendNew("available", .bool(available))
        o.appendNew("unavailable_reason", .optionalString(unavailableReason))
        o.appendNew("proc_root", .string(procRoot))
        o.appendNew("privileged", .bool(privileged))
        o.appendNew("clock_ticks_per_second", .int(Int64(clockTicksPerSecond)))
        o.appendNew("boot_time", bootTime.map { .int($0) } ?? .null)
        o.appendNew("count", .int(Int64(count)))
        o.appendNew("vanished", .int(Int64(vanished)))
        o.appendNew("with_unreadable", .int(Int64(withUnreadable)))
        o.appendNew("list", .array(Self.jsonList(list)))
        o.appendNew("cpu", cpu.map { JSONValueEncoder().encodeValue($0) } ?? .null)
        o.appendNew("hidden_sweep", hiddenSweep.map { JSONValueEncoder().encodeValue($0) } ?? .null)
        o.appendNew("signatures", signatures.map { JSONValueEncoder().encodeValue($0) } ?? .null)
        o.appendNew("errors", .strings(errors))
        return .object(o)
    }
}

extension ProcessesFacts {
    /// The list's entries, built on several threads when it is long (in order).
    static func jsonList(_ list: [ProcessFact]) -> [JSONValue] {
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 4))
        guard workers > 1 && list.count >= 1024 else { return list.map(\.jsonValue) }
        let shares = workers * 4
        let size = (list.count + shares - 1) / shares
        // Each share's items are handed in under the lock once, then joined in order.
        let parts = Mutex([[JSONValue]](repeating: [], count: shares))
        DispatchQueue.concurrentPerform(iterations: shares) { k in
            let lower = min(k * size, list.count), upper = min(lower + size, list.count)
            let part = list[lower..<upper].map(\.jsonValue)
            parts.withLock { $0[k] = part }
        }
        var items: [JSONValue] = []
        items.reserveCapacity(list.count)
        for part in parts.withLock({ $0 }) { items.append(contentsOf: part) }
        return items
    }
}

extension ProcessFact: JSONValueConvertible {
    public var jsonValue: JSONValue {
        var o = JSONObject(capacity: 26)
        o.appendNew("pid", .int(Int64(pid)))
        o.appendNew("ppid", .int(Int64(ppid)))
        o.appendNew("state", .string(state))
        o.appendNew("comm", .string(comm))
        o.appendNew("comm_b64", .optionalString(commB64))
        o.appendNew("cmdline", cmdline.jsonValue)
        o.appendNew("exe", exe?.jsonValue ?? .null)
        o.appendNew("cwd", cwd?.jsonValue ?? .null)
        o.appendNew("uids", uids.jsonValue)
        o.appendNew("gids", gids.jsonValue)
        o.appendNew("threads", .int(Int64(threads)))
        o.appendNew("flags", .int(Int64(flags)))
        o.appendNew("kernel_thread", .bool(kernelThread))
        o.appendNew("kernel_thread_name", .bool(kernelThreadName))
        o.appendNew("fake_kernel_thread", .bool(fakeKernelThread))
        o.appendNew("fake_kernel_thread_reasons", .strings(fakeKernelThreadReasons))
        o.appendNew("start_time_ms", startTimeMs.map { .int($0) } ?? .null)
        o.appendNew("start_ticks", .uint(startTicks))
        o.appendNew("cpu", cpu.jsonValue)
        o.appendNew("parent_listed", .bool(parentListed))
        o.appendNew("environ", environ?.jsonValue ?? .null)
        o.appendNew("maps", maps?.jsonValue ?? .null)
        if let socketInodes {
            var a: [JSONValue] = []
            a.reserveCapacity(socketInodes.count)
            for i in socketInodes { a.append(.uint(i)) }
            o.appendNew("socket_inodes", .array(a))
        } else {
            o.appendNew("socket_inodes", .null)
        }
        o.appendNew("fd_count", fdCount.map { .int(Int64($0)) } ?? .null)
        o.appendNew("unreadable", .strings(unreadable))
        o.appendNew("signatures", signatures.map { JSONValueEncoder().encodeValue($0) } ?? .null)
        return .object(o)
    }
}

extension ProcessFact.IDs: JSONValueConvertible {
    public var jsonValue: JSONValue {
        var o = JSONObject(capacity: 4)
        o.appendNew("real", .int(Int64(real)))
        o.appendNew("effective", .int(Int64(effective)))
        o.appendNew("saved", .int(Int64(saved)))
        o.appendNew("fs", .int(Int64(fs)))
        return .object(o)
    }
}

extension ProcessCPU: JSONValueConvertible {
    public var jsonValue: JSONValue {
        var o = JSONObject(capacity: 4)
        o.appendNew("user_ticks", .uint(userTicks))
        o.appendNew("system_ticks", .uint(systemTicks))
        o.appendNew("seconds", .finite(seconds))
        o.appendNew("percent", percent.map { .finite($0) } ?? .null)
        return .object(o)
    }
}

extension ProcessPath: JSONValueConvertible {
    public var jsonValue: JSONValue {
        var o = JSONObject(capacity: 6)
        o.appendNew("path", .string(path))
        o.appendNew("path_b64", .optionalString(pathB64))
        o.appendNew("deleted", .bool(deleted))
        o.appendNew("memfd", .bool(memfd))
        o.appendNew("in_temp_dir", .bool(inTempDir))
        o.appendNew("in_dot_dir", .bool(inDotDir))
        return .object(o)
    }
}

extension ProcessCommandLine: JSONValueConvertible {
    public var jsonValue: JSONValue {
        var o = JSONObject(capacity: 6)
        o.appendNew("args", .strings(args))
        if let argsB64 {
            var a: [JSONValue] = []
            a.reserveCapacity(argsB64.count)
            for b in argsB64 { a.append(.optionalString(b)) }
            o.appendNew("args_b64", .array(a))
        } else {
            o.appendNew("args_b64", .null)
        }
        o.appendNew("argc", .int(Int64(argc)))
        o.appendNew("length", .int(Int64(length)))
        o.appendNew("truncated", .bool(truncated))
        o.appendNew("kept_bytes", .int(Int64(keptBytes)))
        return .object(o)
    }
}

extension ProcessEnviron: JSONValueConvertible {
    public var jsonValue: JSONValue {
        var o = JSONObject(capacity: 3)
        var vars: [JSONValue] = []
        vars.reserveCapacity(variables.count)
        for v in variables {
            var e = JSONObject(capacity: 3)
            e.appendNew("name", .string(v.name))
            e.appendNew("value", .string(v.value))
            e.appendNew("value_b64", .optionalString(v.valueB64))
            vars.append(.object(e))
        }
        o.appendNew("variables", .array(vars))
        o.appendNew("count", .int(Int64(count)))
        o.appendNew("truncated", .bool(truncated))
        return .object(o)
    }
}

extension ProcessMaps: JSONValueConvertible {
    public var jsonValue: JSONValue {
        func libraries(_ list: [Library]) -> JSONValue {
            var a: [JSONValue] = []
            a.reserveCapacity(list.count)
            for l in list {
                var e = JSONObject(capacity: 2)
                e.appendNew("path", l.path.jsonValue)
                e.appendNew("reasons", .strings(l.reasons))
                a.append(.object(e))
            }
            return .array(a)
        }
        var o = JSONObject(capacity: 5)
        o.appendNew("shared_objects", .int(Int64(sharedObjects)))
        o.appendNew("suspicious_libraries", libraries(suspiciousLibraries))
        var anon: [JSONValue] = []
        anon.reserveCapacity(anonymousExecutable.count)
        for m in anonymousExecutable {
            var e = JSONObject(capacity: 2)
            e.appendNew("address", .string(m.address))
            e.appendNew("perms", .string(m.perms))
            anon.append(.object(e))
        }
        o.appendNew("anonymous_executable", .array(anon))
        o.appendNew("anonymous_executable_count", .int(Int64(anonymousExecutableCount)))
        o.appendNew("deleted_executable", libraries(deletedExecutable))
        return .object(o)
    }
}

extension JSONValue {
    /// What `JSONValueEncoder` makes of a `UInt64` (a double above Int64.max).
    static func uint(_ v: UInt64) -> JSONValue { v <= UInt64(Int64.max) ? .int(Int64(v)) : .double(Double(v)) }
    /// What `JSONValueEncoder` makes of a `Double` (null when not finite).
    static func finite(_ d: Double) -> JSONValue { d.isFinite ? .double(d) : .null }
    static func optionalString(_ s: String?) -> JSONValue { s.map { .string($0) } ?? .null }
    static func strings(_ list: [String]) -> JSONValue {
        var a: [JSONValue] = []
        a.reserveCapacity(list.count)
        for s in list { a.append(.string(s)) }
        return .array(a)
    }
}
