import Foundation

/// A fenced code block of a page of the docs (docs/*.md, README.md), with what the HTML comment
/// on the line just before its fence says about it (the convention is DocumentedCodeTests'):
/// `<!-- runnable: KIND name=value name="a value" name='a "value"' ... -->`, `<!-- fragment -->`, or nothing.
struct DocumentedBlock {
    /// What the comment before the fence says.
    enum Marker: Equatable {
        case none
        case fragment
        case runnable(kind: String, attributes: [String: String])
    }

    let page: String
    /// The line of the opening fence, counted from 1.
    let line: Int
    /// The info string's first word (`lua`, `sh`, `text`), `""` for none.
    let language: String
    let source: String
    let marker: Marker
    /// The ```text block that follows a runnable block (no other block between): what its
    /// request answers.
    var output: String?

    /// `docs/luagw.md:35`, for messages.
    var place: String { "\(page):\(line)" }

    /// A value of a runnable block's marker.
    func attribute(_ name: String) -> String? {
        guard case .runnable(_, let attributes) = marker else { return nil }
        return attributes[name]
    }

    /// A comma-separated value of a runnable block's marker, as a list (empty when absent).
    func list(_ name: String) -> [String] {
        attribute(name)?.split(separator: ",").map(String.init) ?? []
    }

    /// Whether it reads like a whole script: a line that starts with `return` at the top level
    /// (a script returns its application), or an application function.
    var looksLikeAScript: Bool {
        source.split(separator: "\n").contains { $0.hasPrefix("return ") || $0 == "return" }
            || source.contains("return function(environ")
    }

    /// The marker in `comment` (a whole line), `.none` when it is no marker.
    static func marker(in comment: Substring) -> Marker {
        let line = comment.trimmingCharacters(in: .whitespaces)
        guard line.hasPrefix("<!--"), line.hasSuffix("-->") else { return .none }
        let inside = line.dropFirst(4).dropLast(3).trimmingCharacters(in: .whitespaces)
        if inside == "fragment" { return .fragment }
        guard inside.hasPrefix("runnable:") else { return .none }
        var words = words(in: inside.dropFirst("runnable:".count))
        guard !words.isEmpty else { return .runnable(kind: "", attributes: [:]) }
        let kind = words.removeFirst()
        var attributes: [String: String] = [:]
        for word in words {
            let pair = word.split(separator: "=", maxSplits: 1).map(String.init)
            attributes[pair[0]] = pair.count == 2 ? pair[1] : ""
        }
        return .runnable(kind: kind, attributes: attributes)
    }

    /// `text` split at spaces outside quotes (`"..."` or `'...'`), the quotes removed.
    private static func words(in text: Substring) -> [String] {
        var words: [String] = [], word = "", quote: Character?, started = false
        for character in text {
            if character == quote || (quote == nil && (character == "\"" || character == "'")) {
                quote = quote == nil ? character : nil
                started = true
            } else if character == " " && quote == nil {
                if started { words.append(word) }
                word = ""
                started = false
            } else {
                word.append(character)
                started = true
            }
        }
        if started { words.append(word) }
        return words
    }
}
