import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// JSON response bodies: the shared content type, a JSON encoder, and the fast error body.
public enum JSONBody {
    public static let contentType = "application/json; charset=utf-8"

    /// A JSON response with status 200 (or `status`) for any `Encodable` value.
    public static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        let data: Data
        do {
            data = try makeEncoder().encode(value)
        } catch {
            throw JSONEncodingFailure(typeName: String(describing: type(of: value)), underlying: String(describing: error))
        }
        var fields = headers
        fields[.contentType] = contentType
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// A fresh encoder: no escaped slashes, ISO 8601 dates. Keys stay in declaration order.
    public static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    /// `{"error":"<code>","message":"<message>"}` built without Foundation's encoder.
    static func errorBody(code: String, message: String) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(24 + code.utf8.count + message.utf8.count)
        buffer.writeStaticString("{\"error\":")
        writeJSONString(code, to: &buffer)
        buffer.writeStaticString(",\"message\":")
        writeJSONString(message, to: &buffer)
        buffer.writeStaticString("}")
        return buffer
    }

    /// `{"version":"<version>"}`, the body of a healthy `/xrpc/_health`.
    static func errorlessVersionBody(_ version: String) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeStaticString("{\"version\":")
        writeJSONString(version, to: &buffer)
        buffer.writeStaticString("}")
        return buffer
    }

    /// Writes `string` as a JSON string literal (RFC 8259 escaping).
    static func writeJSONString(_ string: String, to buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): buffer.writeStaticString("\\\"")
            case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
            case 0x0A: buffer.writeStaticString("\\n")
            case 0x0D: buffer.writeStaticString("\\r")
            case 0x09: buffer.writeStaticString("\\t")
            case 0x00..<0x20:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                buffer.writeStaticString("\\u00")
                buffer.writeInteger(hex[Int(byte >> 4)])
                buffer.writeInteger(hex[Int(byte & 0x0F)])
            default:
                buffer.writeInteger(byte)
            }
        }
        buffer.writeInteger(UInt8(ascii: "\""))
    }
}

/// A handler's output could not be encoded as JSON: a server bug, answered with 500.
public struct JSONEncodingFailure: Error, CustomStringConvertible, Sendable {
    public let typeName: String
    public let underlying: String
    public var description: String { "cannot encode \(typeName) as JSON: \(underlying)" }
}
