import Hummingbird
import NIOCore

/// Plain-text responses.
enum TextBody {
    static let contentType = "text/plain; charset=utf-8"

    static func response(_ text: String, status: HTTPResponse.Status = .ok, contentType: String = contentType) -> Response {
        Response(status: status, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
