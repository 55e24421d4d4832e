import Crypto

/// One numbered schema migration: a name such as `0001_init`, its SQL text and the SHA-256 of that text.
///
/// The source of truth is `migrations/NNNN_name.sql` at the top of the repository;
/// `scripts/embed-migrations.sh` copies them into ``EmbeddedMigrations`` so the binary does not need the
/// source tree at run time.
public struct Migration: Sendable, Hashable {
    /// File name without `.sql`, e.g. `0001_init`. The four leading digits give the order.
    public let name: String
    /// The SQL statements, run inside one transaction.
    public let sql: String
    /// Lower-case hex SHA-256 of the UTF-8 bytes of `sql`.
    public let checksum: String

    /// A migration whose checksum is computed from `sql`.
    public init(name: String, sql: String) {
        self.name = name
        self.sql = sql
        self.checksum = Migration.sha256Hex(sql)
    }

    /// A migration with a precomputed checksum (used by the generated ``EmbeddedMigrations``).
    public init(name: String, checksum: String, sql: String) {
        self.name = name
        self.sql = sql
        self.checksum = checksum
    }

    /// The numeric prefix of `name`, or nil when the name does not start with four digits and `_`.
    public var number: Int? {
        let chars = Array(name.utf8)
        guard chars.count > 5, chars[4] == UInt8(ascii: "_") else { return nil }
        var value = 0
        for c in chars[0..<4] {
            guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(c - UInt8(ascii: "0"))
        }
        for c in chars[5...] {
            let ok = (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z"))
                || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: "_")
            guard ok else { return nil }
        }
        return value
    }

    /// Lower-case hex SHA-256 of a string's UTF-8 bytes.
    public static func sha256Hex(_ text: String) -> String {
        let digest = SHA256.hash(data: Array(text.utf8))
        let hex: [Character] = Array("0123456789abcdef")
        var out = ""
        out.reserveCapacity(64)
        for byte in digest {
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0x0f)])
        }
        return out
    }
}
