import ATProto

extension RepoStore {
    /// The public half of the account's repository signing key (for `describeRepo`'s DID document).
    /// Throws `repoNotFound` when there is no account for `did`.
    public func signingPublicKey(did: String) async throws(StorageError) -> PublicKey {
        try await database.read(kind: "account_signing_key") { db in
            try self.signingKey(db: db, did: did).publicKey
        }
    }
}
