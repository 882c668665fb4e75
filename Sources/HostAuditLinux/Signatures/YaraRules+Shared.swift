#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

extension YaraRules {
    /// Rules `shared(directory:)` compiled, and what they were compiled from.
    private struct SharedEntry: Sendable {
        var key: [String]
        var rules: YaraRules
        var used: UInt64
    }

    /// The latest rules of each directory, at most `sharedLimit` directories (least recently used goes).
    private static let sharedEntries = Mutex<(entries: [String: SharedEntry], clock: UInt64)>(([:], 0))
    private static let sharedLimit = 8

    /// The compiled rules of `directory`, shared by every pass of a run (the
    /// processes pass and the persistence pass compiled the same files twice).
    /// Compiled again only when the set of `*.yar` files, or one file's inode,
    /// size, modification or change time, differs from the last call; compiled
    /// under the lock, so passes running at the same time compile once.
    /// libyara scans one compiled rule set from several threads.
    package static func shared(directory: String) throws(YaraError) -> YaraRules {
        let files = try ruleFiles(in: directory)
        var key: [String] = []
        for f in files {
            var st = stat()
            guard lstat(f, &st) == 0 else {
                key.append(f)
                continue
            }
            key.append(
                "\(f) \(st.st_dev) \(st.st_ino) \(st.st_size) \(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec) "
                    + "\(st.st_ctim.tv_sec).\(st.st_ctim.tv_nsec)")
        }
        return try sharedEntries.withLock { (state: inout (entries: [String: SharedEntry], clock: UInt64)) throws(YaraError) -> YaraRules in
            state.clock += 1
            if let hit = state.entries[directory], hit.key == key {
                state.entries[directory]?.used = state.clock
                return hit.rules
            }
            let rules = try YaraRules(files: files)
            if state.entries[directory] == nil, state.entries.count >= sharedLimit,
                let oldest = state.entries.min(by: { $0.value.used < $1.value.used })?.key
            {
                state.entries[oldest] = nil
            }
            state.entries[directory] = SharedEntry(key: key, rules: rules, used: state.clock)
            return rules
        }
    }
}
