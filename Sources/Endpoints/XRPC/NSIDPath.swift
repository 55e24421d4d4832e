/// Extracts and checks the NSID of an `/xrpc/<nsid>` path.
enum NSIDPath {
    /// The NSID of `path` (`/xrpc/com.example.method`, one optional trailing slash), or nil when
    /// the path is not a single valid NSID segment.
    static func nsid(fromPath path: String) -> String? {
        let utf8 = path.utf8
        let prefix = "/xrpc/".utf8
        guard utf8.starts(with: prefix) else { return nil }
        var rest = Substring(path).dropFirst(prefix.count)
        if rest.utf8.last == UInt8(ascii: "/") { rest = rest.dropLast() }
        guard isValid(rest) else { return nil }
        return String(rest)
    }

    /// NSID syntax (atproto spec "nsid", as the interop vectors test it): at most 317 characters;
    /// at least three dot-separated
    /// segments; domain segments 1-63 of `[A-Za-z0-9-]` not starting or ending with a hyphen, the
    /// first not starting with a digit; the last (name) segment 1-63 of `[A-Za-z0-9]` starting
    /// with a letter.
    static func isValid(_ nsid: Substring) -> Bool {
        let bytes = nsid.utf8
        guard !bytes.isEmpty, bytes.count <= 317 else { return false }
        let segments = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard segments.count >= 3 else { return false }
        for (index, segment) in segments.enumerated() {
            guard !segment.isEmpty, segment.count <= 63 else { return false }
            let isName = index == segments.count - 1
            for byte in segment {
                let ok = isAlpha(byte) || isDigit(byte) || (!isName && byte == UInt8(ascii: "-"))
                if !ok { return false }
            }
            if isName {
                guard let first = segment.first, isAlpha(first) else { return false }
            } else {
                if segment.first == UInt8(ascii: "-") || segment.last == UInt8(ascii: "-") { return false }
                if index == 0, let first = segment.first, isDigit(first) { return false }
            }
        }
        return true
    }

    private static func isAlpha(_ b: UInt8) -> Bool {
        (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z"))
    }

    private static func isDigit(_ b: UInt8) -> Bool {
        b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")
    }
}
