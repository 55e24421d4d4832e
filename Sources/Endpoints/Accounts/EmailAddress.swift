/// Syntax of email addresses accepted at account creation: `local@domain`, a local part of 1 to 64 printable
/// ASCII characters without spaces, quotes or a second `@`, and a domain of at least two DNS labels (letters,
/// digits, hyphens; no leading or trailing hyphen), 253 characters at most in all.
enum EmailAddress {
    static let maxLength = 254

    static func isValid(_ email: String) -> Bool {
        guard email.utf8.count <= maxLength, email.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return false }
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return false }
        let local = parts[0]
        let domain = parts[1]
        guard (1...64).contains(local.utf8.count), domain.utf8.count <= 253 else { return false }
        let forbidden = Set("\"(),:;<>[\\]".utf8)
        guard !local.utf8.contains(where: forbidden.contains), !local.hasPrefix("."), !local.hasSuffix("."),
            !local.contains("..")
        else { return false }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2 else { return false }
        for label in labels {
            guard (1...63).contains(label.utf8.count), label.first != "-", label.last != "-",
                label.utf8.allSatisfy({ isAlphanumeric($0) || $0 == UInt8(ascii: "-") })
            else { return false }
        }
        // The top-level label is not all digits (that would be an IP address).
        return labels.last.map { !$0.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } } ?? false
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
    }
}
