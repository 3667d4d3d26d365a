import Foundation
import XCTest

/// The pages of the docs as the repository has them (README.md and docs/*.md) and their fenced
/// code blocks, for the tests that run what the docs print.
enum DocumentedPages {
    /// The repository's root.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// README.md and every docs/*.md, relative to the root, in order.
    static var all: [String] {
        let docs = (try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("docs").path)) ?? []
        return ["README.md"] + docs.filter { $0.hasSuffix(".md") }.sorted().map { "docs/" + $0 }
    }

    /// The fenced blocks of `page` (`docs/luagw.md`), in order, each with its marker and output.
    static func blocks(in page: String) throws -> [DocumentedBlock] {
        let text = try String(contentsOf: root.appendingPathComponent(page), encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var blocks: [DocumentedBlock] = []
        var index = 0
        while index < lines.count {
            let opening = lines[index].trimmingCharacters(in: .whitespaces)
            guard opening.hasPrefix("```") else {
                index += 1
                continue
            }
            let language = opening.dropFirst(3).split(separator: " ").first.map(String.init) ?? ""
            let end = lines[(index + 1)...].firstIndex { $0.trimmingCharacters(in: .whitespaces) == "```" } ?? lines.count
            let source = lines[(index + 1)..<end].map { $0 + "\n" }.joined()
            let marker = index > 0 ? DocumentedBlock.marker(in: lines[index - 1]) : .none
            if language == "text", let last = blocks.last, case .runnable = last.marker {
                blocks[blocks.count - 1].output = source
            }
            blocks.append(DocumentedBlock(page: page, line: index + 1, language: language, source: source, marker: marker))
            index = end + 1
        }
        return blocks
    }

    /// The one block of `page` whose source contains `text`.
    static func block(in page: String, containing text: String) throws -> DocumentedBlock {
        let found = try blocks(in: page).filter { $0.source.contains(text) }
        guard found.count == 1 else {
            XCTFail("\(page): \(found.count) blocks contain \(text)")
            throw POSIXError(.ENOENT)
        }
        return found[0]
    }
}
