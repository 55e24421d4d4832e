/// How log events are written.
public enum LogFormat: String, Sendable, CaseIterable {
    /// Native journald entries (structured fields).
    case journald
    /// One `key=value` line per event on stderr.
    case logfmt
    /// One JSON object per line on stderr.
    case json
    /// journald when stderr is connected to the journal (`JOURNAL_STREAM`), logfmt otherwise.
    case auto
}
