/// What differs between two readings of a script directory.
struct ScriptChanges: CustomStringConvertible {
    var added: [String] = []
    var removed: [String] = []
    var changed: [String] = []

    init(from old: ScriptSet, to new: ScriptSet) {
        for (file, source) in new.modules {
            if let before = old.modules[file] {
                if before != source { changed.append(file) }
            } else {
                added.append(file)
            }
        }
        removed = old.modules.keys.filter { new.modules[$0] == nil }
        added.sort()
        removed.sort()
        changed.sort()
    }

    var isEmpty: Bool { added.isEmpty && removed.isEmpty && changed.isEmpty }

    var description: String {
        [("changed", changed), ("added", added), ("removed", removed)]
            .filter { !$0.1.isEmpty }
            .map { "\($0.0) \($0.1.joined(separator: ", "))" }
            .joined(separator: "; ")
    }
}
