import HTTPTypes

/// Header rules for response compression.
enum ContentCoding {
    /// Whether an `Accept-Encoding` value allows gzip (`gzip`, `x-gzip` or `*` with q > 0).
    static func acceptsGzip(_ header: String) -> Bool {
        var gzipQuality: Double?
        var wildcardQuality: Double?
        for member in header.split(separator: ",") {
            let parts = member.split(separator: ";")
            guard let first = parts.first else { continue }
            let coding = first.trimmingSpaces().lowercased()
            var quality = 1.0
            for parameter in parts.dropFirst() {
                let trimmed = parameter.trimmingSpaces()
                if trimmed.hasPrefix("q=") || trimmed.hasPrefix("Q=") {
                    quality = Double(trimmed.dropFirst(2)) ?? 0
                }
            }
            switch coding {
            case "gzip", "x-gzip": gzipQuality = quality
            case "*": wildcardQuality = quality
            default: break
            }
        }
        if let gzipQuality { return gzipQuality > 0 }
        if let wildcardQuality { return wildcardQuality > 0 }
        return false
    }

    /// Whether a body of this type is worth compressing: JSON, CAR, text. Never images, video,
    /// audio or already compressed types.
    static func isCompressible(contentType: String) -> Bool {
        let mime = (contentType.split(separator: ";", maxSplits: 1).first ?? "").trimmingSpaces().lowercased()
        if mime.hasPrefix("text/") { return true }
        switch mime {
        case "application/json", "application/vnd.ipld.car", "application/javascript", "application/xml",
            "application/cbor", "application/x-ndjson", "image/svg+xml":
            return true
        default:
            return mime.hasSuffix("+json") || mime.hasSuffix("+xml")
        }
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> Substring {
        var slice = self
        while let first = slice.first, first == " " || first == "\t" { slice = slice.dropFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice = slice.dropLast() }
        return slice
    }
}
