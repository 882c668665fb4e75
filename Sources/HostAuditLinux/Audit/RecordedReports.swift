import Foundation
import HostAuditCore

/// Recorded reports for `hostaudit report merge|diff|render`: found in
/// folders without following symbolic links, read with a size bound.
package enum RecordedReports {
    /// Every `*.json` file in DIRS (folders walked up to 4 levels, symbolic links not followed), bounded.
    package static func files(_ dirs: [String]) -> (files: [String], problems: [String]) {
        let fm = FileManager.default
        var files: [String] = []
        var problems: [String] = []
        func walk(_ dir: String, depth: Int) {
            guard depth <= 4, files.count < maxFiles else { return }
            guard let names = try? fm.contentsOfDirectory(atPath: dir) else {
                problems.append("\(dir): cannot be read")
                return
            }
            for n in names.sorted() where !n.hasPrefix(".") {
                let p = dir + "/" + n
                var st = stat()
                guard lstat(p, &st) == 0 else { continue }
                if (st.st_mode & S_IFMT) == S_IFDIR {
                    walk(p, depth: depth + 1)
                } else if (st.st_mode & S_IFMT) == S_IFREG, n.hasSuffix(".json") {
                    if files.count >= maxFiles {
                        problems.append("more than \(maxFiles) files; the rest were not read")
                        return
                    }
                    files.append(p)
                }
            }
        }
        for d in dirs {
            var st = stat()
            if lstat(d, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG {
                files.append(d)
            } else {
                walk(d, depth: 0)
            }
        }
        return (files, problems)
    }

    static let maxFiles = 10_000
    package static let maxBytes = 64 << 20

    package static func read(_ path: String) -> [UInt8]? {
        guard let h = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? h.close() }
        guard let d = try? h.read(upToCount: maxBytes + 1), d.count <= maxBytes else { return nil }
        return [UInt8](d)
    }

    /// Every report in DIRS summed up; what could not be read is in `problems`.
    package static func merge(_ dirs: [String]) -> ReportMerge {
        let (found, problems) = files(dirs)
        var merge = ReportMerge()
        merge.problems = problems
        for f in found {
            guard let bytes = read(f) else {
                merge.problems.append("\(f): cannot be read or larger than 64 MiB")
                continue
            }
            merge.add(file: f, bytes: bytes)
        }
        return merge
    }
}
