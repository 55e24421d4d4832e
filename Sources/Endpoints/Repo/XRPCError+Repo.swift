import Storage

extension XRPCError {
    static let invalidMimeTypeCode: Code = "InvalidMimeType"
    static let invalidSizeCode: Code = "InvalidSize"
    static let blobNotFoundCode: Code = "BlobNotFound"

    /// The XRPC error of a failed repository write (PDS-REFERENCE §3.7, §6); storage failures proper become 500s
    /// (returned as nil so the caller rethrows the original, logged with its detail).
    static func repoWrite(_ error: StorageError) -> XRPCError? {
        switch error.code {
        case .invalidSwap: return .invalidSwap(error.message)
        case .repoNotFound: return .invalidRequest("Could not find repo", code: .repoNotFound)
        case .recordNotFound: return .invalidRequest(error.message, code: .recordNotFound)
        case .invalidWrite: return .invalidRequest(error.message)
        case .commitTooLarge: return .invalidRequest("Too many writes. Max event size: 2MB")
        case .blobNotFound: return .invalidRequest(error.message, code: blobNotFoundCode)
        case .invalidMimeType: return .invalidRequest(error.message, code: invalidMimeTypeCode)
        case .invalidSize: return .invalidRequest(error.message, code: invalidSizeCode)
        default: return nil
        }
    }
}
