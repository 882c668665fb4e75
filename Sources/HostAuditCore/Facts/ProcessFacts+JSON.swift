import Foundation
import Synchronization

/// The process facts described once, through `JSONEmitter`: the `JSONValue`
/// tree policies read and the bytes `facts processes --format json` writes
/// both come from these functions.
///
/// A scan of 10,000 processes produces about 600,000 JSON values; building
/// them through `Encodable` (one encoder node, container and coding path per
/// field) cost more than reading `/proc`. These produce the same tree the
/// synthesised `Encodable` conformances produce through `JSONValueEncoder`
/// (same snake_case keys, same order, `null` for nil), which
/// `ProcessFactsJSONTests` checks against the Codable path, and the byte
/// emitter writes what `JSONWriter` writes for that tree (checked there too).
/// A field added to one of these types must be added here too (the test
/// fails otherwise).
package protocol JSONEmittable {
    func emit<E: JSONEmitter>(into e: inout E)
}

extension JSONEmittable {
    package var jsonValue: JSONValue { JSONTreeEmitter.build { emit(into: &$0) } }
}

extension ProcessesFacts: JSONValueConvertible {
    /// The section with `writeList` writing `list`'s array: the tree builds
    /// the items on several threads (`jsonList`), the byte writer writes
    /// them in parallel shares (`writeJSON`).
    func emit<E: JSONEmitter>(into e: inout E, writeList: ([ProcessFact], inout E) -> Void) {
        e.beginObject()
        e.key("available"); e.bool(available)
        e.key("unavailable_reason"); e.string(unavailableReason)
        e.key("proc_root"); e.string(procRoot)
        e.key("privileged"); e.bool(privileged)
        e.key("clock_ticks_per_second"); e.int(Int64(clockTicksPerSecond))
        e.key("boot_time"); e.int(bootTime)
        e.key("count"); e.int(Int64(count))
        e.key("vanished"); e.int(Int64(vanished))
        e.key("with_unreadable"); e.int(Int64(withUnreadable))
        e.key("list"); writeList(list, &e)
        e.key("cpu"); e.value(cpu.map { JSONValueEncoder().encodeValue($0) } ?? .null)
        e.key("hidden_sweep"); e.value(hiddenSweep.map { JSONValueEncoder().encodeValue($0) } ?? .null)
        e.key("signatures"); e.value(signatures.map { JSONValueEncoder().encodeValue($0) } ?? .null)
        e.key("errors"); e.strings(errors)
        e.endObject()
    }

    package var jsonValue: JSONValue {
        JSONTreeEmitter.build { e in
            emit(into: &e) { list, e in e.value(.array(Self.jsonList(list))) }
        }
    }

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

extension ProcessFact: JSONEmittable, JSONValueConvertible {
    package func emit<E: JSONEmitter>(into e: inout E) {
        e.beginObject()
        e.key("pid"); e.int(Int64(pid))
        e.key("ppid"); e.int(Int64(ppid))
        e.key("state"); e.string(state)
        e.key("comm"); e.string(comm)
        e.key("comm_b64"); e.string(commB64)
        e.key("cmdline"); cmdline.emit(into: &e)
        e.key("exe"); if let exe { exe.emit(into: &e) } else { e.null() }
        e.key("cwd"); if let cwd { cwd.emit(into: &e) } else { e.null() }
        e.key("uids"); uids.emit(into: &e)
        e.key("gids"); gids.emit(into: &e)
        e.key("threads"); e.int(Int64(threads))
        e.key("flags"); e.int(Int64(flags))
        e.key("kernel_thread"); e.bool(kernelThread)
        e.key("kernel_thread_name"); e.bool(kernelThreadName)
        e.key("fake_kernel_thread"); e.bool(fakeKernelThread)
        e.key("fake_kernel_thread_reasons"); e.strings(fakeKernelThreadReasons)
        e.key("start_time_ms"); e.int(startTimeMs)
        e.key("start_ticks"); e.uint(startTicks)
        e.key("cpu"); cpu.emit(into: &e)
        e.key("parent_listed"); e.bool(parentListed)
        e.key("environ"); if let environ { environ.emit(into: &e) } else { e.null() }
        e.key("maps"); if let maps { maps.emit(into: &e) } else { e.null() }
        e.key("socket_inodes")
        if let socketInodes {
            e.beginArray()
            for i in socketInodes { e.uint(i) }
            e.endArray()
        } else {
            e.null()
        }
        e.key("fd_count"); e.int(fdCount.map { Int64($0) })
        e.key("unreadable"); e.strings(unreadable)
        e.key("signatures"); e.value(signatures.map { JSONValueEncoder().encodeValue($0) } ?? .null)
        e.endObject()
    }
}

extension ProcessFact.IDs: JSONEmittable, JSONValueConvertible {
    package func emit<E: JSONEmitter>(into e: inout E) {
        e.beginObject()
        e.key("real"); e.int(Int64(real))
        e.key("effective"); e.int(Int64(effective))
        e.key("saved"); e.int(Int64(saved))
        e.key("fs"); e.int(Int64(fs))
        e.endObject()
    }
}

extension ProcessCPU: JSONEmittable, JSONValueConvertible {
    package func emit<E: JSONEmitter>(into e: inout E) {
        e.beginObject()
        e.key("user_ticks"); e.uint(userTicks)
        e.key("system_ticks"); e.uint(systemTicks)
        e.key("seconds"); e.finite(seconds)
        e.key("percent"); if let percent { e.finite(percent) } else { e.null() }
        e.endObject()
    }
}

extension ProcessPath: JSONEmittable, JSONValueConvertible {
    package func emit<E: JSONEmitter>(into e: inout E) {
        e.beginObject()
        e.key("path"); e.string(path)
        e.key("path_b64"); e.string(pathB64)
        e.key("deleted"); e.bool(deleted)
        e.key("memfd"); e.bool(memfd)
        e.key("in_temp_dir"); e.bool(inTempDir)
        e.key("in_dot_dir"); e.bool(inDotDir)
        e.endObject()
    }
}

extension ProcessCommandLine: JSONEmittable, JSONValueConvertible {
    package func emit<E: JSONEmitter>(into e: inout E) {
        e.beginObject()
        e.key("args"); e.strings(args)
        e.key("args_b64")
        if let argsB64 {
            e.beginArray()
            for b in argsB64 { e.string(b) }
            e.endArray()
        } else {
            e.null()
        }
        e.key("argc"); e.int(Int64(argc))
        e.key("length"); e.int(Int64(length))
        e.key("truncated"); e.bool(truncated)
        e.key("kept_bytes"); e.int(Int64(keptBytes))
        e.endObject()
    }
}

extension ProcessEnviron: JSONEmittable, JSONValueConvertible {
    package func emit<E: JSONEmitter>(into e: inout E) {
        e.beginObject()
        e.key("variables")
        e.beginArray()
        for v in variables {
            e.beginObject()
            e.key("name"); e.string(v.name)
            e.key("value"); e.string(v.value)
            e.key("value_b64"); e.string(v.valueB64)
            e.endObject()
        }
        e.endArray()
        e.key("count"); e.int(Int64(count))
        e.key("truncated"); e.bool(truncated)
        e.endObject()
    }
}

extension ProcessMaps: JSONEmittable, JSONValueConvertible {
    package func emit<E: JSONEmitter>(into e: inout E) {
        func libraries(_ list: [Library], _ e: inout E) {
            e.beginArray()
            for l in list {
                e.beginObject()
                e.key("path"); l.path.emit(into: &e)
                e.key("reasons"); e.strings(l.reasons)
                e.endObject()
            }
            e.endArray()
        }
        e.beginObject()
        e.key("shared_objects"); e.int(Int64(sharedObjects))
        e.key("suspicious_libraries"); libraries(suspiciousLibraries, &e)
        e.key("anonymous_executable")
        e.beginArray()
        for m in anonymousExecutable {
            e.beginObject()
            e.key("address"); e.string(m.address)
            e.key("perms"); e.string(m.perms)
            e.endObject()
        }
        e.endArray()
        e.key("anonymous_executable_count"); e.int(Int64(anonymousExecutableCount))
        e.key("deleted_executable"); libraries(deletedExecutable, &e)
        e.endObject()
    }
}

extension ProcessesFacts {
    /// The section's JSON text written through `e`, the list's items in
    /// parallel shares on long lists (`JSONWriter`'s bytes for `jsonValue`,
    /// without building the tree). With a sink, each share's bytes are
    /// handed over as soon as it and every share before it are done, so the
    /// document is never held whole.
    package func writeJSON(into e: inout JSONByteEmitter) {
        emit(into: &e) { list, e in
            let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 4))
            e.beginArray()
            guard workers > 1 && list.count >= 512 else {
                for p in list { p.emit(into: &e) }
                e.endArray()
                return
            }
            let itemDepth = e.itemDepth
            e.flush()  // what comes before the list goes out first
            // Small shares: each is done (and handed over) soon after the one before.
            let shareSize = 64
            let shares = (list.count + shareSize - 1) / shareSize
            let ordered = OrderedParts(count: shares, sink: e.sink)
            let next = Atomic(0)
            DispatchQueue.concurrentPerform(iterations: workers) { _ in
                while true {
                    let k = next.wrappingAdd(1, ordering: .relaxed).oldValue
                    guard k < shares else { return }
                    let lower = k * shareSize, upper = min(lower + shareSize, list.count)
                    var part = JSONByteEmitter(arrayItemsAt: itemDepth, first: k == 0)
                    for p in list[lower..<upper] { p.emit(into: &part) }
                    ordered.deliver(k, part.out)
                }
            }
            e.itemsWrittenElsewhere()
            for part in ordered.undelivered() { e.appendRaw(part) }
            e.endArray()
        }
    }
}

/// Shares of bytes that finish out of order. With a sink each is handed
/// over, in order, as soon as every share before it has been (under the
/// lock, so the sink sees one share at a time); without one they are kept.
final class OrderedParts: Sendable {
    private struct State {
        var parts: [[UInt8]?]
        var next = 0
    }
    private let state: Mutex<State>
    private let sink: (@Sendable (UnsafeBufferPointer<UInt8>) -> Void)?

    init(count: Int, sink: (@Sendable (UnsafeBufferPointer<UInt8>) -> Void)?) {
        state = Mutex(State(parts: Array(repeating: nil, count: count)))
        self.sink = sink
    }

    func deliver(_ k: Int, _ bytes: [UInt8]) {
        state.withLock { s in
            s.parts[k] = bytes
            guard let sink else { return }
            while s.next < s.parts.count, let part = s.parts[s.next] {
                part.withUnsafeBufferPointer { sink($0) }
                s.parts[s.next] = nil
                s.next += 1
            }
        }
    }

    /// The shares not handed to a sink, in order (all of them without one).
    func undelivered() -> [[UInt8]] { state.withLock { $0.parts.compactMap { $0 } } }
}
