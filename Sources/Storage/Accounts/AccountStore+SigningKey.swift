import ATProto

extension AccountStore {
    /// The account's repository signing key (service-auth tokens are signed with it); nil when there is no
    /// account for `did`.
    public func signingKey(did: String) async throws(StorageError) -> K256PrivateKey? {
        do {
            return try await database.read(kind: "account_signing_key") { db in
                try self.repos.signingKey(db: db, did: did)
            }
        } catch where error.code == .repoNotFound {
            return nil
        }
    }
}
