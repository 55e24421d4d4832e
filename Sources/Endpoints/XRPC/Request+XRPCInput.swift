import Foundation
import Hummingbird
import NIOCore

extension Request {
    /// Collects the request body, at most `context.maxUploadSize` bytes (413 `PayloadTooLarge`
    /// beyond it, whether or not the client sent a Content-Length).
    public mutating func collectXRPCBody(context: PDSRequestContext, limit: Int? = nil) async throws -> ByteBuffer {
        let limit = limit ?? context.maxUploadSize
        if let declared = headers[.contentLength] {
            guard let length = Int(declared), length >= 0 else {
                throw XRPCError.invalidRequest("invalid content-length")
            }
            if length > limit { throw XRPCError.payloadTooLarge() }
        }
        do {
            return try await collectBody(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw XRPCError.payloadTooLarge()
        }
    }

    /// Decodes the JSON input of a procedure into `type`.
    ///
    /// Errors are 400 `InvalidRequest`: no body, a Content-Type that is not JSON, malformed JSON,
    /// or a missing or mistyped field (the message names the field path, e.g. `Input/record/text`).
    public mutating func decodeXRPCInput<T: Decodable>(_ type: T.Type, context: PDSRequestContext) async throws -> T {
        if let contentType = headers[.contentType] {
            let mime = contentType.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
            guard mime == "application/json" || mime.hasSuffix("+json") else {
                throw XRPCError.invalidRequest("Wrong request encoding (Content-Type): \(mime)")
            }
        }
        let buffer = try await collectXRPCBody(context: context)
        guard buffer.readableBytes > 0 else {
            throw XRPCError.invalidRequest("A request body is expected but none was provided")
        }
        return try XRPCInputDecoder.decode(type, from: buffer)
    }
}

/// Maps Foundation's decoding errors to XRPC `InvalidRequest` messages that name the field.
enum XRPCInputDecoder {
    static func decode<T: Decodable>(_ type: T.Type, from buffer: ByteBuffer) throws -> T {
        let decoder = JSONDecoder()
        do {
            return try buffer.withUnsafeReadableBytes { bytes in
                try decoder.decode(type, from: Data(bytes))
            }
        } catch let error as DecodingError {
            throw XRPCError.invalidRequest(message(for: error))
        }
    }

    static func message(for error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath)) must have the property \"\(key.stringValue)\""
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)) must be \(describe(type))"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)) must be \(describe(type))"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                return "Invalid JSON body"
            }
            return "\(path(context.codingPath)) is invalid: \(context.debugDescription)"
        @unknown default:
            return "Invalid request body"
        }
    }

    static func path(_ codingPath: [any CodingKey]) -> String {
        (["Input"] + codingPath.map { $0.intValue.map { String($0) } ?? $0.stringValue }).joined(separator: "/")
    }

    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "a boolean"
        case is Int.Type, is Int64.Type, is Int32.Type, is UInt.Type, is UInt64.Type: return "an integer"
        case is Double.Type, is Float.Type: return "a number"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array") { return "an array" }
            if name.hasPrefix("Dictionary") { return "an object" }
            return "an object"
        }
    }
}
