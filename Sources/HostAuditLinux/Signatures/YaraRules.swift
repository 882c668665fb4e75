#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CYara
import HostAuditCore
import SystemPackage

/// A compile or scan failure from libyara, with its message.
package struct YaraError: Error, CustomStringConvertible, Sendable {
    package var description: String
}

/// Compiled YARA rules: every `*.yar` file of a directory, compiled once per
/// run through libyara (no `yara` binary).
// @unchecked: immutable after init (the YR_RULES pointer, files, names), and libyara lets
// several threads scan with one YR_RULES at once; each `scan` has its own callback sink.
package final class YaraRules: @unchecked Sendable {
    private let rules: UnsafeMutablePointer<YR_RULES>
    /// The files compiled, in name order.
    package let files: [String]
    /// Every rule name (policy lint checks the names policies use against these).
    package let names: [String]

    /// Timeout of one libyara scan call, seconds.
    static let scanTimeout: Int32 = 10

    private static let initialized: Int32 = yr_initialize()

    /// The `*.yar` files directly in `directory`, sorted; symlinks and other file types are not followed.
    package static func ruleFiles(in directory: String) throws(YaraError) -> [String] {
        guard let dir = opendir(directory) else {
            throw YaraError(description: "\(directory): \(Errno.current)")
        }
        defer { closedir(dir) }
        var out: [String] = []
        while let e = readdir(dir) {
            let name = withUnsafePointer(to: e.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            guard name.hasSuffix(".yar"), !name.hasPrefix(".") else { continue }
            var st = stat()
            let path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
            guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { continue }
            out.append(path)
        }
        return out.sorted()
    }

    /// Compiles every rule file of `directory` (each in the namespace of its file name without `.yar`).
    package convenience init(directory: String) throws(YaraError) {
        try self.init(files: try Self.ruleFiles(in: directory))
    }

    package init(files: [String], maxFileBytes: Int = 4 << 20) throws(YaraError) {
        guard Self.initialized == ERROR_SUCCESS else {
            throw YaraError(description: "yr_initialize failed (\(Self.initialized))")
        }
        guard !files.isEmpty else { throw YaraError(description: "no *.yar rule files") }
        var compiler: UnsafeMutablePointer<YR_COMPILER>?
        guard yr_compiler_create(&compiler) == ERROR_SUCCESS, let compiler else {
            throw YaraError(description: "yr_compiler_create failed")
        }
        defer { yr_compiler_destroy(compiler) }
        let sink = MessageSink()
        let unmanaged = Unmanaged.passRetained(sink)
        defer { unmanaged.release() }
        yr_compiler_set_callback(
            compiler,
            { level, file, line, _, message, user in
                guard let user else { return }
                let sink = Unmanaged<MessageSink>.fromOpaque(user).takeUnretainedValue()
                let text = message.map { String(cString: $0) } ?? "?"
                let kind = level == YARA_ERROR_LEVEL_ERROR ? "error" : "warning"
                sink.messages.append("\(sink.current):\(line): \(kind): \(text)")
                _ = file
            }, unmanaged.toOpaque())
        for path in files {
            sink.current = path
            let source = try Self.readSource(path, limit: maxFileBytes)
            var ns = path.split(separator: "/").last.map(String.init) ?? path
            if ns.hasSuffix(".yar") { ns.removeLast(4) }
            let errors = yr_compiler_add_string(compiler, source, ns)
            if errors > 0 {
                throw YaraError(description: sink.messages.filter { $0.contains(": error: ") }.joined(separator: "; "))
            }
        }
        var compiled: UnsafeMutablePointer<YR_RULES>?
        guard yr_compiler_get_rules(compiler, &compiled) == ERROR_SUCCESS, let compiled else {
            throw YaraError(description: "yr_compiler_get_rules failed")
        }
        self.rules = compiled
        self.files = files
        var names: [String] = []
        let count = Int(compiled.pointee.num_rules)
        if let base = compiled.pointee.rules_table {
            for i in 0..<count {
                let r = base + i
                if let id = CYara_rule_identifier(r) { names.append(String(cString: id)) }
            }
        }
        self.names = names
    }

    deinit { yr_rules_destroy(rules) }

    /// Reads a rule file without following a symlink, bounded.
    static func readSource(_ path: String, limit: Int) throws(YaraError) -> String {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw YaraError(description: "\(path): \(Errno.current)") }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while bytes.count <= limit {
            // A read error ends the file, as end-of-file does (the size check below still holds).
            guard case .success(let n) = chunk.withUnsafeMutableBytes({ c in valueOrErrno { read(fd, c.baseAddress, 65536) } }),
                n > 0
            else { break }
            bytes += chunk[0..<n]
        }
        guard bytes.count <= limit else { throw YaraError(description: "\(path): larger than \(limit) bytes") }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// One rule that matched a scanned buffer.
    package struct Hit: Sendable, Equatable {
        package var rule: String
        package var namespace: String
        package var tags: [String]
        package var offset: Int64?
        package var string: String?
        package var count: Int
        package var source: String?
    }

    /// Scans a buffer; offsets are relative to its start.
    package func scan(_ buffer: UnsafeRawBufferPointer) throws(YaraError) -> [Hit] {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return [] }
        let box = HitSink()
        let unmanaged = Unmanaged.passRetained(box)
        defer { unmanaged.release() }
        let rc = yr_rules_scan_mem(
            rules, base.assumingMemoryBound(to: UInt8.self), buffer.count, SCAN_FLAGS_FAST_MODE,
            { context, message, data, user in
                guard message == CALLBACK_MSG_RULE_MATCHING, let data, let user, let context else {
                    return CALLBACK_CONTINUE
                }
                let sink = Unmanaged<HitSink>.fromOpaque(user).takeUnretainedValue()
                let rule = data.assumingMemoryBound(to: YR_RULE.self)
                var tags: [String] = []
                if var t = CYara_rule_tags(rule) {
                    while t.pointee != 0 {
                        let s = String(cString: t)
                        tags.append(s)
                        t += s.utf8.count + 1
                    }
                }
                var offset: Int64 = 0
                var sid: UnsafePointer<CChar>?
                var count: Int64 = 0
                let found = CYara_rule_first_match(context, rule, &offset, &sid, &count) != 0
                sink.hits.append(
                    Hit(
                        rule: CYara_rule_identifier(rule).map { String(cString: $0) } ?? "?",
                        namespace: CYara_rule_namespace(rule).map { String(cString: $0) } ?? "",
                        tags: tags, offset: found ? offset : nil, string: sid.map { String(cString: $0) },
                        count: Int(count),
                        source: CYara_rule_meta_string(rule, "source").map { String(cString: $0) }))
                return CALLBACK_CONTINUE
            }, unmanaged.toOpaque(), Self.scanTimeout)
        guard rc == ERROR_SUCCESS else { throw YaraError(description: "yr_rules_scan_mem failed (error \(rc))") }
        return box.hits
    }

    package func scan(_ bytes: [UInt8]) throws(YaraError) -> [Hit] {
        let r: Result<[Hit], YaraError> = bytes.withUnsafeBytes { b in
            do throws(YaraError) { return .success(try scan(b)) } catch { return .failure(error) }
        }
        return try r.get()
    }
}

private final class MessageSink {
    var current = ""
    var messages: [String] = []
}

private final class HitSink {
    var hits: [YaraRules.Hit] = []
}
