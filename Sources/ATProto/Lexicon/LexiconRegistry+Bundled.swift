// MARK: - Bundled documents

extension LexiconRegistry {
    /// The Lexicon documents shipped with this library (`lexicons/`): the record types the reference PDS
    /// validates (`app.bsky.feed.post`, `app.bsky.actor.profile`, ... `com.germnetwork.declaration`) and
    /// every document they reference. Parsed once, on first use, thread-safely.
    public static var bundled: LexiconRegistry {
        get throws(LexiconDocumentError) { try bundledResult.get() }
    }

    /// The NSIDs of the record types in `bundled`, sorted.
    public var recordCollections: [String] {
        documents.keys.filter { record($0) != nil }.sorted()
    }

    private static let bundledResult: Result<LexiconRegistry, LexiconDocumentError> = loadBundled()

    private static func loadBundled() -> Result<LexiconRegistry, LexiconDocumentError> {
        var registry = LexiconRegistry()
        for (path, json) in BundledLexicons.documents {
            do {
                try registry.add(try LexiconDocument(json: json))
            } catch {
                return .failure(LexiconDocumentError(path: error.path, "bundled \(path): \(error.message)"))
            }
        }
        return .success(registry)
    }
}
