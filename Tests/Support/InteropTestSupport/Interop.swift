import Foundation

/// Test support shared by the test targets: access to the public atproto interop vectors in
/// `../shared/interop` (relative to the repository), in `Tests/Interop`,
/// or the folder named by `PDS_INTEROP_DIR`. A missing folder is a test failure, never a skip.
public enum Interop {
    public struct Missing: Error, CustomStringConvertible {
        public let path: String
        public var description: String { "interop vectors not found at \(path) (set PDS_INTEROP_DIR)" }
    }

    /// `PDS_INTEROP_DIR` when set; else the shared copy next to the repository (`../shared/interop`) when it
    /// exists; else the copy committed in `Tests/Interop` (CI's clean clone has no shared folder).
    public static var directory: URL {
        if let dir = ProcessInfo.processInfo.environment["PDS_INTEROP_DIR"], !dir.isEmpty {
            return URL(fileURLWithPath: dir, isDirectory: true)
        }
        let shared = sharedDirectory
        if FileManager.default.fileExists(atPath: shared.appendingPathComponent("MANIFEST.json").path) {
            return shared
        }
        return committedDirectory
    }

    /// The repository root, from this file's path.
    public static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent()  // InteropTestSupport
            .deletingLastPathComponent()  // Support
            .deletingLastPathComponent()  // Tests
            .deletingLastPathComponent()  // repo
    }

    /// `../shared/interop`, beside the repository.
    public static var sharedDirectory: URL {
        repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/interop", isDirectory: true)
    }

    /// The copy committed in the repository (`Tests/Interop`).
    public static var committedDirectory: URL {
        repositoryRoot.appendingPathComponent("Tests/Interop", isDirectory: true)
    }

    public static func data(_ relativePath: String) throws -> Data {
        let url = directory.appendingPathComponent(relativePath)
        guard FileManager.default.fileExists(atPath: url.path) else { throw Missing(path: url.path) }
        return try Data(contentsOf: url)
    }

    /// Lines of a `.txt` vector file: blank lines and `#` comments skipped, never trimmed.
    public static func lines(_ relativePath: String) throws -> [String] {
        let text = String(decoding: try data(relativePath), as: UTF8.self)
        return text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { line in line.hasSuffix("\r") ? String(line.dropLast()) : String(line) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }

    /// A JSON vector file decoded as Foundation JSON objects.
    public static func json(_ relativePath: String) throws -> Any {
        try JSONSerialization.jsonObject(with: data(relativePath), options: [.fragmentsAllowed])
    }

    public static func decode<T: Decodable>(_ type: T.Type, from relativePath: String) throws -> T {
        try JSONDecoder().decode(T.self, from: data(relativePath))
    }
}
