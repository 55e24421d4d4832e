import Foundation
import Testing

/// The interop vectors are committed in `Tests/Interop` so a clean clone (CI) runs them; when the shared copy
/// (`../shared/interop`) is present the two must be identical, file for file.
@Suite("Interop vector copy")
struct InteropCopyTests {
    static func files(under root: URL) throws -> [String: Data] {
        var result: [String: Data] = [:]
        let base = root.resolvingSymlinksInPath().path
        guard let enumerator = FileManager.default.enumerator(atPath: base) else { return result }
        for case let relative as String in enumerator {
            var isDirectory: ObjCBool = false
            let path = base + "/" + relative
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
                result[relative] = try Data(contentsOf: URL(fileURLWithPath: path))
            }
        }
        return result
    }

    @Test func committedCopyIsComplete() throws {
        let committed = try Self.files(under: Interop.committedDirectory)
        #expect(committed["MANIFEST.json"] != nil)
        #expect(committed.count >= 40)
    }

    @Test func committedCopyMatchesTheSharedOne() throws {
        let shared = Interop.sharedDirectory
        guard FileManager.default.fileExists(atPath: shared.appendingPathComponent("MANIFEST.json").path) else {
            print("InteropCopyTests: no shared copy at \(shared.path); only the committed copy is used")
            return
        }
        let sharedFiles = try Self.files(under: shared)
        let committed = try Self.files(under: Interop.committedDirectory)
        #expect(Set(sharedFiles.keys) == Set(committed.keys))
        for (name, data) in sharedFiles {
            #expect(committed[name] == data, "Tests/Interop/\(name) differs from ../shared/interop/\(name)")
        }
    }
}
