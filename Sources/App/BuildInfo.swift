/// Version and source revision of this `pds` binary (exported as `pds_build_info{version,revision}`).
enum BuildInfo {
    static let version = "0.1.0"
    /// The git revision, when a packager stamps it into `BuildRevision.swift`; "unknown" otherwise.
    static let revision = buildRevision

    static var versionString: String { "\(version) (revision \(revision))" }
}
