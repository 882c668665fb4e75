/// Parses /etc/hosts as glibc's `files` backend does (nss/nss_files/files-hosts.c):
/// everything after `#` is a comment; fields are separated by white space; the
/// first field is an IPv4 dotted quad or an IPv6 address (`inet_pton`), the second
/// the canonical name, the rest aliases. Lines with a bad address are skipped.
package enum HostsFileParser {
    package static func parse(_ text: String, path: String = "/etc/hosts") -> HostsFile {
        parse(Array(text.utf8), path: path)
    }

    package static func parse(_ bytes: [UInt8], path: String = "/etc/hosts") -> HostsFile {
        var problems = ProblemList(path: path)
        var entries: [HostsFile.Entry] = []
        let split = ConfigLines.split(bytes)
        if split.hasNUL {
            problems.add(line: split.firstNULLine, text: nil, "file contains NUL bytes (binary?); glibc reads each line only up to the first NUL")
        }
        for (number, raw) in split.lines {
            let full = ConfigLines.cString(raw)
            let text = ConfigLines.text(full)
            let content = full.firstIndex(of: UInt8(ascii: "#")).map { full[full.startIndex..<$0] } ?? full
            let fields = ConfigLines.fields(content)
            guard let addrField = fields.first else { continue }
            let address = ConfigLines.text(addrField)
            let family: String
            if IPAddress.parseIPv4(addrField) != nil {
                family = "ipv4"
            } else if IPAddress.parseIPv6(addrField) != nil {
                family = "ipv6"
            } else {
                var why = "invalid address '\(address)'; glibc skips this line"
                if let v4 = IPAddress.parseInetAton(addrField) {
                    why = "'\(address)' is not a dotted quad (inet_aton would read \(IPAddress(ipv4: v4).description)); glibc's files backend skips this line"
                } else if addrField.contains(UInt8(ascii: "%")) {
                    why = "'\(address)': a scope (%…) is not accepted in the hosts file; glibc skips this line"
                }
                problems.add(line: number, text: text, why)
                continue
            }
            guard fields.count >= 2 else {
                problems.add(line: number, text: text, "address \(address) without a host name")
                continue
            }
            let names = fields.dropFirst().map(ConfigLines.text)
            for name in names where !isPlausibleName(name) {
                problems.add(line: number, text: text, "'\(name)' is not a valid host name")
            }
            entries.append(
                .init(line: number, address: address, family: family, canonicalName: names[0], aliases: Array(names.dropFirst())))
        }
        return HostsFile(entries: entries, problems: problems.finish())
    }

    /// Letters, digits, '-', '_', '.', and nothing longer than DNS allows.
    static func isPlausibleName(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 253 else { return false }
        return name.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2D || c == 0x2E
                || c == 0x5F
        }
    }
}
