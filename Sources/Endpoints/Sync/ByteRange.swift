/// A single HTTP byte range (RFC 9110 §14.1.2) resolved against a representation of `size` bytes.
///
/// `bytes=a-b`, `bytes=a-` and the suffix form `bytes=-n` are understood. A header this server does not
/// serve as a range (another unit, several ranges, bad syntax) is ignored: the whole representation is sent,
/// as the RFC allows.
enum ByteRange: Equatable, Sendable {
    /// No usable Range header: send everything (200).
    case whole
    /// Send these bytes (206), bounds inclusive.
    case partial(ClosedRange<Int64>)
    /// The range lies outside the representation (416).
    case unsatisfiable

    static func resolve(_ header: String?, size: Int64) -> ByteRange {
        guard let header else { return .whole }
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        guard trimmed.lowercased().hasPrefix("bytes=") else { return .whole }
        let spec = trimmed.dropFirst("bytes=".count).trimmingCharacters(in: .whitespaces)
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return .whole }
        let first = spec[..<dash].trimmingCharacters(in: .whitespaces)
        let last = spec[spec.index(after: dash)...].trimmingCharacters(in: .whitespaces)
        guard first.allSatisfy(\.isASCIIDigit), last.allSatisfy(\.isASCIIDigit) else { return .whole }
        if first.isEmpty {
            // Suffix: the last n bytes.
            guard let length = Int64(last) else { return last.isEmpty ? .whole : .partial(0...max(0, size - 1)) }
            guard length > 0, size > 0 else { return .unsatisfiable }
            return .partial(max(0, size - length)...(size - 1))
        }
        guard let start = Int64(first) else { return .unsatisfiable }  // beyond Int64: past any end
        guard start < size else { return .unsatisfiable }
        guard !last.isEmpty else { return .partial(start...(size - 1)) }
        let end = Int64(last).map { min($0, size - 1) } ?? (size - 1)
        guard end >= start else { return .whole }  // last-pos < first-pos: invalid, ignored
        return .partial(start...end)
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
