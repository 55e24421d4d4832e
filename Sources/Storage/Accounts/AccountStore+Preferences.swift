import GRDB

extension AccountStore {
    /// A stored preference: its `$type` and its JSON.
    public struct Preference: Sendable, Hashable {
        public var name: String
        public var json: String

        public init(name: String, json: String) {
            self.name = name
            self.json = json
        }
    }

    /// The account's preferences whose `$type` is `namespace` or under it (`app.bsky` → `app.bsky.*`), in order.
    public func preferences(did: String, namespace: String) async throws(StorageError) -> [Preference] {
        try await database.read(kind: "pref_get") { db in
            try Row.fetchAll(
                db, sql: "SELECT name, value_json FROM account_pref WHERE did = ? ORDER BY position", arguments: [did]
            )
            .map { Preference(name: $0["name"], json: $0["value_json"]) }
            .filter { Self.name($0.name, isIn: namespace) }
        }
    }

    /// Replaces the account's preferences of `namespace` with `values` in one transaction; stored preferences
    /// whose names are in `keeping` stay (the ones a limited session may neither see nor change).
    public func putPreferences(
        did: String, namespace: String, _ values: [Preference], keeping: Set<String> = []
    ) async throws(StorageError) {
        try await database.write(kind: "pref_put") { db in
            let existing = try Row.fetchAll(
                db, sql: "SELECT name, value_json FROM account_pref WHERE did = ? ORDER BY position", arguments: [did]
            ).map { Preference(name: $0["name"], json: $0["value_json"]) }
            let kept = existing.filter { !Self.name($0.name, isIn: namespace) || keeping.contains($0.name) }
            try db.execute(sql: "DELETE FROM account_pref WHERE did = ?", arguments: [did])
            for (position, preference) in (kept + values).enumerated() {
                try db.execute(
                    sql: "INSERT INTO account_pref (did, name, position, value_json) VALUES (?, ?, ?, ?)",
                    arguments: [did, preference.name, position, preference.json])
            }
        }
    }

    /// Whether a preference `$type` is `namespace` or below it.
    public static func name(_ name: String, isIn namespace: String) -> Bool {
        name == namespace || name.hasPrefix(namespace + ".")
    }
}
