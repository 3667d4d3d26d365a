import Foundation

/// Points examples/notes.lua's SQLite file (LUAGW_NOTES_FILE) at a fresh scratch directory,
/// so that a test serving `examples/` starts with no notes and leaves the checkout as it was.
func useScratchNotesFile() throws -> ScratchDirectory {
    let scratch = try ScratchDirectory("luagw-notes")
    setenv("LUAGW_NOTES_FILE", scratch.url.appendingPathComponent("notes.db").path, 1)
    return scratch
}
