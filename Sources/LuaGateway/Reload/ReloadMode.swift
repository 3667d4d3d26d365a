/// How a server notices that its scripts changed (SPEC 4).
public enum ReloadMode: String, Sendable, CaseIterable {
    /// Watch the directory (inotify; polling where inotify is not available), and SIGHUP.
    case watch
    /// Poll the directory every `pollInterval`, and SIGHUP.
    case poll
    /// SIGHUP only.
    case signal
    /// Never: the scripts read at start-up serve until the process ends.
    case off
}
