/// A DID or a handle, as used for the authority of an AT-URI and in `repo`/`actor` parameters.
/// Strings starting with `did:` are parsed as DIDs, everything else as a handle.
public enum AtIdentifier: SyntaxIdentifier {
    case did(DID)
    case handle(Handle)

    public init(_ string: String) throws(SyntaxError) {
        let isDID = SyntaxBytes.withBytes(string) { SyntaxBytes.hasPrefix($0, "did:") }
        if isDID {
            do { self = .did(try DID(string)) } catch {
                throw SyntaxError(kind: "at-identifier", message: error.message)
            }
        } else {
            do { self = .handle(try Handle(string)) } catch {
                throw SyntaxError(kind: "at-identifier", message: error.message)
            }
        }
    }

    /// Whether `string` is a valid DID or handle.
    public static func isValid(_ string: String) -> Bool {
        SyntaxBytes.withBytes(string) { violation($0) == nil }
    }

    public var string: String {
        switch self {
        case .did(let did): did.string
        case .handle(let handle): handle.string
        }
    }

    /// The DID, when this identifier is one.
    public var did: DID? {
        if case .did(let did) = self { return did }
        return nil
    }

    /// The handle, when this identifier is one.
    public var handle: Handle? {
        if case .handle(let handle) = self { return handle }
        return nil
    }

    static func violation(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        SyntaxBytes.hasPrefix(bytes, "did:") ? DID.violation(bytes) : Handle.violation(bytes)
    }

    /// Wraps bytes that `violation` accepted.
    init(validatedBytes bytes: UnsafeBufferPointer<UInt8>) {
        let string = String(decoding: bytes, as: UTF8.self)
        self = SyntaxBytes.hasPrefix(bytes, "did:") ? .did(DID(validated: string)) : .handle(Handle(validated: string))
    }
}
