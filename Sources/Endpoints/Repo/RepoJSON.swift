import ATProto
import Hummingbird
import NIOCore

/// JSON responses built from data-model values (records keep their `$link`/`$bytes`/blob forms).
enum RepoJSON {
    static func response(_ value: DataValue) throws -> Response {
        Response(
            status: .ok, headers: [.contentType: JSONBody.contentType],
            body: .init(byteBuffer: ByteBuffer(bytes: AtprotoJSON.serialize(value))))
    }
}
