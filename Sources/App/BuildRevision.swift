// Packagers may replace this value with the git revision before building a release
// (e.g. `sed -i "s/\"unknown\"/\"$(git rev-parse --short HEAD)\"/" Sources/App/BuildRevision.swift`).
let buildRevision = "unknown"
