extension ProcessMaps {
    /// What an executable mapping's path says by its bytes alone: whether it
    /// counts (a shared object, or a deleted or memfd executable) and why.
    /// The one classification `Builder` uses, remembered or not.
    package struct MappedFile {
        package enum Kind: Equatable {
            case sharedObject
            /// A deleted or memfd file that is not a shared object.
            case goneExecutable
            /// Neither: counts for nothing.
            case neither
        }

        package var kind: Kind
        package var path: ProcessPath
        /// `libraryReasons` (shared object) or `goneReasons` (gone executable).
        package var reasons: [String]

        package init(_ bytes: UnsafeBufferPointer<UInt8>) {
            path = ProcessPath.classify(bytes)
            if ProcessMaps.isSharedObjectPath(bytes, deleted: path.deleted) {
                kind = .sharedObject
                reasons = ProcessMaps.libraryReasons(path)
            } else if path.deleted || path.memfd {
                kind = .goneExecutable
                reasons = ProcessMaps.goneReasons(path)
            } else {
                kind = .neither
                reasons = []
            }
        }
    }
}

/// What `ProcessMaps.Builder` concludes from a mapped path's bytes alone (a `MappedFile`),
/// remembered for the rest of a scan: thousands of processes map the same
/// few libraries, and classifying a path (a `String`, its flags, the
/// suspicious-library reasons) costs more than finding it again.
///
/// Keys are the exact bytes, compared in full; the table's hash is the
/// standard library's per-process seeded `Hasher`, so crafted paths cannot
/// aim at one bucket. At most `capacity` paths are remembered; past that a
/// path is classified afresh each time (`entry(for:)` is nil), and always
/// the same way, so the facts never depend on the memo. One per scan worker:
/// not for use on two threads at once.
package final class MappedPathMemo {
    package struct Entry {
        /// Distinct per distinct path (an index into the memo).
        package var id: Int
        package var file: ProcessMaps.MappedFile
    }

    package static let capacity = 4096
    private var keys: [[UInt8]] = []
    private var entries: [Entry] = []
    /// Open addressing, linear probing: indices into `entries`, -1 empty;
    /// twice `capacity` slots, so the table is never more than half full.
    private var slots = [Int32](repeating: -1, count: 2 * MappedPathMemo.capacity)

    package init() {}

    package var count: Int { entries.count }

    /// The entry for `path` (classified now if new); nil when the memo is
    /// full and `path` is not in it.
    package func entry(for path: UnsafeBufferPointer<UInt8>) -> Entry? {
        var hasher = Hasher()
        hasher.combine(bytes: UnsafeRawBufferPointer(path))
        let mask = slots.count - 1
        var i = hasher.finalize() & mask
        while true {
            let k = Int(slots[i])
            if k < 0 { break }
            if keys[k].count == path.count && keys[k].withUnsafeBufferPointer({ $0.elementsEqual(path) }) {
                return entries[k]
            }
            i = (i + 1) & mask
        }
        guard entries.count < Self.capacity else { return nil }
        let entry = Entry(id: entries.count, file: ProcessMaps.MappedFile(path))
        slots[i] = Int32(entries.count)
        keys.append(Array(path))
        entries.append(entry)
        return entry
    }
}
