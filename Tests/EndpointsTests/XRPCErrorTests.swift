import Foundation
import Hummingbird
import Synchronization
import Testing

@testable import Endpoints

@Suite struct XRPCErrorTests {
    @Test func bodyAndHeaders() async throws {
        let response = XRPCError.invalidRequest("bad \"thing\"\n\u{1}").response()
        #expect(response.status == .badRequest)
        #expect(response.headers[.contentType] == "application/json; charset=utf-8")
        let body = try await collect(response)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: String])
        #expect(json == ["error": "InvalidRequest", "message": "bad \"thing\"\n\u{1}"])
        #expect(response.headers[.contentLength] == String(body.utf8.count))
    }

    @Test func statusesAndLevels() {
        #expect(XRPCError.methodNotImplemented("a.b.c").status == .notImplemented)
        #expect(XRPCError.methodNotImplemented().code == .methodNotImplemented)
        #expect(XRPCError.payloadTooLarge().status.code == 413)
        #expect(XRPCError.expiredToken().status == .badRequest)
        #expect(XRPCError.expiredToken().code.rawValue == "ExpiredToken")
        #expect(XRPCError.authenticationRequired().status == .unauthorized)
        #expect(XRPCError.authenticationRequired().code.rawValue == "AuthenticationRequired")
        #expect(XRPCError.Code.authRequired == .authenticationRequired)
        #expect(XRPCError.authMissing().code.rawValue == "AuthMissing")
        #expect(XRPCError.recordNotFound().status == .badRequest)
        #expect(XRPCError.rateLimitExceeded().status.code == 429)
        #expect(XRPCError.internalServerError().logLevel == .error)
        #expect(XRPCError.internalServerError().message == "Internal Server Error")
        #expect(XRPCError.invalidRequest("x").logLevel == .debug)
        #expect(XRPCError.invalidRequest("x", code: "HandleNotFound").code.rawValue == "HandleNotFound")
        let custom = XRPCError("AccountTakedown", message: "taken down", status: .unauthorized)
        #expect(custom.code == "AccountTakedown")
        #expect(XRPCError.forStatus(.notFound).code == .notFound)
        #expect(XRPCError.forStatus(.internalServerError, message: "secret detail").message == "Internal Server Error")
    }

    private func collect(_ response: Response) async throws -> String {
        let box = BodyBox()
        try await response.body.write(BoxWriter(box: box))
        return box.text
    }
}

/// Collects a response body written through ``BoxWriter``.
final class BodyBox: Sendable {
    private let bytes = Mutex<[UInt8]>([])
    func append(_ buffer: ByteBuffer) { bytes.withLock { $0 += buffer.readableBytesView } }
    var text: String { bytes.withLock { String(decoding: $0, as: UTF8.self) } }
}

struct BoxWriter: ResponseBodyWriter {
    let box: BodyBox
    mutating func write(_ buffer: ByteBuffer) async throws { box.append(buffer) }
    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
