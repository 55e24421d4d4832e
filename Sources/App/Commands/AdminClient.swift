import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore

/// Why an operator command failed, with its exit status: 1 the server refused or failed the request, 64 bad
/// usage (as the argument parser's own errors), 69 the server could not be reached, 78 configuration.
struct AdminCommandError: Error, CustomStringConvertible {
    static let failure: Int32 = 1
    static let usage: Int32 = 64
    static let unreachable: Int32 = 69
    static let config: Int32 = 78

    let exitCode: Int32
    let message: String

    var description: String { message }

    static func usage(_ message: String) -> AdminCommandError { .init(exitCode: usage, message: message) }
}

/// The admin XRPC API of a running server, for the operator commands: admin Basic auth, JSON in and out, one
/// client per command run (shut down by ``close()``).
final class AdminClient: Sendable {
    /// Longest wait for one request.
    static let timeout: TimeAmount = .seconds(30)
    /// Largest answer read.
    static let maxResponseBytes = 16 << 20

    let baseURL: String
    private let authorization: String
    private let http: HTTPClient

    init(baseURL: String, adminPassword: String) {
        var url = baseURL
        while url.hasSuffix("/") { url.removeLast() }
        self.baseURL = url
        authorization = "Basic " + Data("admin:\(adminPassword)".utf8).base64EncodedString()
        http = HTTPClient(eventLoopGroupProvider: .singleton)
    }

    func close() async {
        try? await http.shutdown()
    }

    /// GET `/xrpc/<nsid>?<parameters>`.
    func query(_ nsid: String, _ parameters: [(String, String)] = [], admin: Bool = true) async throws(AdminCommandError)
        -> [String: Any]
    {
        var components = URLComponents()
        components.queryItems = parameters.map { URLQueryItem(name: $0.0, value: $0.1) }
        let query = parameters.isEmpty ? "" : "?" + (components.percentEncodedQuery ?? "")
        var request = HTTPClientRequest(url: "\(baseURL)/xrpc/\(nsid)\(query)")
        request.method = .GET
        return try await send(request, nsid: nsid, admin: admin)
    }

    /// POST `/xrpc/<nsid>` with a JSON body.
    func procedure(_ nsid: String, _ body: [String: Any], admin: Bool = true) async throws(AdminCommandError) -> [String: Any] {
        var request = HTTPClientRequest(url: "\(baseURL)/xrpc/\(nsid)")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        let data = (try? JSONSerialization.data(withJSONObject: body)) ?? Data("{}".utf8)
        request.body = .bytes(ByteBuffer(bytes: Array(data)))
        return try await send(request, nsid: nsid, admin: admin)
    }

    private func send(_ request: HTTPClientRequest, nsid: String, admin: Bool) async throws(AdminCommandError) -> [String: Any] {
        var request = request
        if admin { request.headers.add(name: "Authorization", value: authorization) }
        let status: Int
        let body: ByteBuffer
        do {
            let response = try await http.execute(request, timeout: Self.timeout)
            status = Int(response.status.code)
            body = try await response.body.collect(upTo: Self.maxResponseBytes)
        } catch {
            throw AdminCommandError(
                exitCode: AdminCommandError.unreachable, message: "cannot reach the server at \(baseURL): \(Self.describe(error))")
        }
        let object = (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any]
        guard (200..<300).contains(status) else {
            let code = object?["error"] as? String ?? "HTTP \(status)"
            let message = object?["message"] as? String ?? String(buffer: body).prefix(200).description
            var text = "\(nsid) failed: \(code): \(message)"
            if status == 401, admin { text += " (is the admin password the server's? see --config/--data-dir)" }
            throw AdminCommandError(exitCode: AdminCommandError.failure, message: text)
        }
        return object ?? [:]
    }

    private static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError { return "\(error)" }
        return String(describing: error)
    }
}
