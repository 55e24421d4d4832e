import ATProto
import Hummingbird

/// A JSON request body read as an ATProto data-model object (`$link`/`$bytes` decoded), with typed field
/// access whose errors name the field like the reference's lexicon validation (`Input/repo must be a string`).
struct JSONObjectInput: Sendable {
    let fields: [String: DataValue]

    init(_ fields: [String: DataValue]) {
        self.fields = fields
    }

    /// Reads and parses the request body (JSON content type, body limit of the request context).
    static func read(_ request: inout Request, context: PDSRequestContext) async throws -> JSONObjectInput {
        if let contentType = request.headers[.contentType] {
            let mime = contentType.split(separator: ";", maxSplits: 1).first
                .map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
            guard mime == "application/json" || mime.hasSuffix("+json") else {
                throw XRPCError.invalidRequest("Wrong request encoding (Content-Type): \(mime)")
            }
        }
        let buffer = try await request.collectXRPCBody(context: context)
        guard buffer.readableBytes > 0 else {
            throw XRPCError.invalidRequest("A request body is expected but none was provided")
        }
        do {
            return JSONObjectInput(try AtprotoJSON.parseObject(buffer.readableBytesView))
        } catch {
            throw XRPCError.invalidRequest("Invalid JSON body: \(error.message)")
        }
    }

    func string(_ name: String, path: String = "Input") throws(XRPCError) -> String? {
        switch fields[name] {
        case nil, .null?: return nil
        case .string(let value)?: return value
        default: throw XRPCError.invalidRequest("\(path)/\(name) must be a string")
        }
    }

    func requiredString(_ name: String, path: String = "Input") throws(XRPCError) -> String {
        guard let value = try string(name, path: path) else {
            throw XRPCError.invalidRequest("\(path) must have the property \"\(name)\"")
        }
        return value
    }

    func bool(_ name: String, path: String = "Input") throws(XRPCError) -> Bool? {
        switch fields[name] {
        case nil, .null?: return nil
        case .bool(let value)?: return value
        default: throw XRPCError.invalidRequest("\(path)/\(name) must be a boolean")
        }
    }

    func requiredObject(_ name: String, path: String = "Input") throws(XRPCError) -> [String: DataValue] {
        switch fields[name] {
        case nil, .null?: throw XRPCError.invalidRequest("\(path) must have the property \"\(name)\"")
        case .map(let value)?: return value
        default: throw XRPCError.invalidRequest("\(path)/\(name) must be an object")
        }
    }

    func requiredArray(_ name: String, path: String = "Input") throws(XRPCError) -> [DataValue] {
        switch fields[name] {
        case nil, .null?: throw XRPCError.invalidRequest("\(path) must have the property \"\(name)\"")
        case .array(let value)?: return value
        default: throw XRPCError.invalidRequest("\(path)/\(name) must be an array")
        }
    }

    /// An optional CID string field (`swapCommit`, `swapRecord`).
    func cid(_ name: String, path: String = "Input") throws(XRPCError) -> CID? {
        guard let raw = try string(name, path: path) else { return nil }
        do {
            return try CID(string: raw)
        } catch {
            throw XRPCError.invalidRequest("\(path)/\(name) must be a cid string")
        }
    }
}
