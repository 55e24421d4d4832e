/// The one error type of the Storage module.
///
/// `code` is an extensible set of machine-readable reasons (like swift-nio's `FileSystemError.Code`);
/// `message` is one human-readable line that names what failed (a migration name, a query kind, a path).
public struct StorageError: Error, Sendable, CustomStringConvertible {
    /// Why a storage operation failed.
    public struct Code: Hashable, Sendable, RawRepresentable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The database file could not be opened or configured.
        public static let openFailed = Code(rawValue: "openFailed")
        /// A migration's SQL failed; its transaction was rolled back.
        public static let migrationFailed = Code(rawValue: "migrationFailed")
        /// An already-applied migration's SQL differs from the one recorded in `schema_migrations`.
        public static let migrationChecksumMismatch = Code(rawValue: "migrationChecksumMismatch")
        /// The database records a migration this binary does not know (a newer binary ran on it).
        public static let unknownMigration = Code(rawValue: "unknownMigration")
        /// The list of migrations itself is invalid (bad name, duplicate, wrong order, transaction statements).
        public static let invalidMigration = Code(rawValue: "invalidMigration")
        /// A read or write failed.
        public static let queryFailed = Code(rawValue: "queryFailed")
        /// The database file on disk is missing or is no longer the file that was opened.
        public static let fileReplaced = Code(rawValue: "fileReplaced")
    }

    public var code: Code
    public var message: String
    /// The underlying error (usually a GRDB `DatabaseError`), if any.
    public var underlying: (any Error & Sendable)?

    public init(_ code: Code, _ message: String, underlying: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String {
        if let underlying {
            return "\(message): \(underlying)"
        }
        return message
    }
}

// MARK: - Repository and account errors

extension StorageError.Code {
    /// No repository (or account) for the DID.
    public static let repoNotFound = Self(rawValue: "repoNotFound")
    /// No record at the path.
    public static let recordNotFound = Self(rawValue: "recordNotFound")
    /// `swapCommit` or `swapRecord` did not match the current state.
    public static let invalidSwap = Self(rawValue: "invalidSwap")
    /// A write that cannot apply (create over an existing record, update of a missing one, a bad path).
    public static let invalidWrite = Self(rawValue: "invalidWrite")
    /// The commit's event would exceed the firehose's size limit.
    public static let commitTooLarge = Self(rawValue: "commitTooLarge")
    /// A record references a blob that was never uploaded to this account.
    public static let blobNotFound = Self(rawValue: "blobNotFound")
    /// A record's blob reference disagrees with the uploaded blob's MIME type.
    public static let invalidMimeType = Self(rawValue: "invalidMimeType")
    /// A record's blob reference disagrees with the uploaded blob's size.
    public static let invalidSize = Self(rawValue: "invalidSize")
    /// A uniqueness conflict: handle, email or DID already taken.
    public static let conflict = Self(rawValue: "conflict")
    /// An invite code that does not exist, is disabled or used up.
    public static let invalidInviteCode = Self(rawValue: "invalidInviteCode")
    /// Stored data failed verification (a corrupt block, a bad key).
    public static let corrupt = Self(rawValue: "corrupt")
}
