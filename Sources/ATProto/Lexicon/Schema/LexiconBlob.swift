/// A Lexicon `blob` schema: accepted MIME types (`image/png`, `image/*`, `*/*`) and a maximum size.
public struct LexiconBlob: Hashable, Sendable {
    public var accept: [String]?
    public var maxSize: Int64?

    public init(accept: [String]? = nil, maxSize: Int64? = nil) {
        self.accept = accept
        self.maxSize = maxSize
    }

    /// Whether `mimeType` matches `accept` (always true when `accept` is absent). A pattern is an exact
    /// type, `type/*`, or `*/*`; comparison is case-insensitive as MIME types are.
    public func accepts(mimeType: String) -> Bool {
        guard let accept else { return true }
        let mime = mimeType.lowercased()
        for pattern in accept {
            let pattern = pattern.lowercased()
            if pattern == "*/*" || pattern == mime { return true }
            if pattern.utf8.last == UInt8(ascii: "*"), mime.utf8.starts(with: pattern.utf8.dropLast()) { return true }
        }
        return false
    }
}
