import Foundation

/// Lines of the public atproto interop vector files in `../shared/interop` (or `PDS_INTEROP_DIR`).
/// A missing folder is a test failure, never a skip. Lines are never trimmed.
enum InteropVectors {
    struct Missing: Error, CustomStringConvertible {
        let path: String
        var description: String { "interop vectors not found at \(path) (set PDS_INTEROP_DIR)" }
    }

    static var directory: URL {
        if let dir = ProcessInfo.processInfo.environment["PDS_INTEROP_DIR"], !dir.isEmpty {
            return URL(fileURLWithPath: dir, isDirectory: true)
        }
        return URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent()  // Utilities
            .deletingLastPathComponent()  // EndpointsTests
            .deletingLastPathComponent()  // Tests
            .deletingLastPathComponent()  // repo
            .deletingLastPathComponent()
            .appendingPathComponent("shared/interop", isDirectory: true)
    }

    static func lines(_ relativePath: String) throws -> [String] {
        let url = directory.appendingPathComponent(relativePath)
        guard FileManager.default.fileExists(atPath: url.path) else { throw Missing(path: url.path) }
        let text = String(decoding: try Data(contentsOf: url), as: UTF8.self)
        return text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { line in line.hasSuffix("\r") ? String(line.dropLast()) : String(line) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }
}
