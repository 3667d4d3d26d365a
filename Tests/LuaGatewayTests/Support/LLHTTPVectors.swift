import Foundation

/// llhttp's request-parser vectors (Tests/Conformance/llhttp, MIT licence): each a raw request
/// and the events llhttp reports for it, read into what a server should make of the bytes.
struct LLHTTPVector {
    /// What llhttp saw of one request.
    struct Message: Equatable {
        var method: [UInt8] = []
        var url: [UInt8] = []
        var fields: [(name: [UInt8], value: [UInt8])] = []
        var body: [UInt8] = []
        /// Fields of the chunked body's trailer section.
        var trailers: [(name: [UInt8], value: [UInt8])] = []
        var isHTTP11 = true
        var isHead: Bool { method == Array("HEAD".utf8) }

        static func == (a: Message, b: Message) -> Bool {
            a.method == b.method && a.url == b.url && a.body == b.body
                && a.fields.map(\.name) == b.fields.map(\.name) && a.fields.map(\.value) == b.fields.map(\.value)
        }
    }

    /// How llhttp's parse ended after the complete messages.
    enum Ending: Equatable {
        case clean
        /// An error (the reason llhttp gives).
        case error(String)
        /// CONNECT or Upgrade: llhttp stops and hands the connection over.
        case pause
        /// The input stopped inside a message (`finish` vectors).
        case unfinished
    }

    let file: String
    let title: String
    let type: String
    /// `skipBody`: llhttp was told the message has no body (a client's reading of a response to HEAD).
    let skipsBody: Bool
    let raw: [UInt8]
    /// Messages llhttp completed, in order.
    let messages: [Message]
    let ending: Ending
    /// Each request line llhttp read (complete messages and the one it stopped in).
    let requestLines: [RequestLine]

    struct RequestLine {
        /// Where the line ends (after its CRLF) in `raw`.
        var end: Int?
        var isHTTP11 = false
        var hasHost = false
    }

    var name: String { "\(file): \(title)" }

    /// Every vector of the folder's Markdown files.
    static func load(from folder: URL) throws -> [LLHTTPVector] {
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix(".md") && $0 != "README.md" }.sorted()
        return try files.flatMap { file in
            try parse(file: file, text: String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8))
        }
    }

    private static func parse(file: String, text: String) -> [LLHTTPVector] {
        var vectors: [LLHTTPVector] = []
        var title = "", type = "request", skipsBody = false
        var http: [String]?, log: [String]?, block: String?
        for line in text.components(separatedBy: "\n") {
            if let kind = block {
                if line == "```" {
                    block = nil
                    if kind == "log", let http, let log {
                        vectors.append(make(file: file, title: title, type: type, skipsBody: skipsBody, http: http, log: log))
                        type = "request"; skipsBody = false
                    }
                } else if kind == "http" {
                    http!.append(line)
                } else if kind == "log" {
                    log!.append(line)
                }
            } else if line.hasPrefix("#") {
                title = line.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces)
            } else if line.hasPrefix("<!-- meta="), let range = line.range(of: #""type":\s*"([^"]+)""#, options: .regularExpression) {
                type = String(line[range]).components(separatedBy: "\"")[3]
                skipsBody = line.contains("skipBody")
            } else if line == "```http" {
                block = "http"; http = []; log = nil
            } else if line == "```log" {
                block = "log"; log = []
            }
        }
        return vectors
    }

    /// The block's lines joined with CRLF; `\r`, `\n`, `\t` written out stand for those bytes, `\xNN` for
    /// the character U+00NN in UTF-8 (as llhttp's runner makes it: its offsets count `\xff` as two bytes).
    private static func rawBytes(_ lines: [String]) -> [UInt8] {
        let text = Array(lines.joined(separator: "\r\n").utf8)
        var bytes: [UInt8] = [], index = 0
        while index < text.count {
            if text[index] == UInt8(ascii: "\\"), index + 1 < text.count {
                switch text[index + 1] {
                case UInt8(ascii: "r"): bytes.append(13); index += 2; continue
                case UInt8(ascii: "n"): bytes.append(10); index += 2; continue
                case UInt8(ascii: "t"): bytes.append(9); index += 2; continue
                case UInt8(ascii: "x") where index + 3 < text.count:
                    if let value = UInt8(String(decoding: text[(index + 2)...(index + 3)], as: UTF8.self), radix: 16) {
                        bytes += Array(String(Character(Unicode.Scalar(value))).utf8); index += 4; continue
                    }
                default: break
                }
            }
            bytes.append(text[index])
            index += 1
        }
        return bytes
    }

    private static func make(file: String, title: String, type: String, skipsBody: Bool, http: [String], log: [String]) -> LLHTTPVector {
        let raw = rawBytes(http)
        var messages: [Message] = [], current = Message(), ending = Ending.clean
        var lines: [RequestLine] = []
        var fieldName: [UInt8] = [], inMessage = false, inTrailer = false
        let span = try! NSRegularExpression(pattern: #"^off=(\d+) len=(\d+) span\[(\w+)\]"#)
        for line in log {
            let ns = line as NSString
            if let match = span.firstMatch(in: line, range: NSRange(location: 0, length: ns.length)) {
                let offset = Int(ns.substring(with: match.range(at: 1)))!, length = Int(ns.substring(with: match.range(at: 2)))!
                let bytes = Array(raw[offset..<min(raw.count, offset + length)])
                switch ns.substring(with: match.range(at: 3)) {
                case "method": current.method += bytes
                case "url": current.url += bytes
                case "version": current.isHTTP11 = bytes == Array("1.1".utf8); lines[lines.count - 1].isHTTP11 = current.isHTTP11
                case "header_field": fieldName += bytes
                case "header_value" where inTrailer && !current.trailers.isEmpty:
                    current.trailers[current.trailers.count - 1].value += bytes
                case "header_value" where !inTrailer && !current.fields.isEmpty:
                    current.fields[current.fields.count - 1].value += bytes
                case "body": current.body += bytes
                default: break
                }
            } else if line.contains("message begin") {
                current = Message(); inMessage = true; inTrailer = false; fieldName = []
                lines.append(RequestLine())
            } else if line.contains(" version complete"), let offset = Int(line.dropFirst(4).prefix { $0.isNumber }) {
                lines[lines.count - 1].end = offset + 2
            } else if line.contains("header_field complete") {
                if inTrailer {
                    current.trailers.append((fieldName, []))
                } else {
                    if String(decoding: fieldName, as: UTF8.self).lowercased() == "host" { lines[lines.count - 1].hasHost = true }
                    current.fields.append((fieldName, []))
                }
                fieldName = []
            } else if line.contains("headers complete") {
                inTrailer = true
            } else if line.contains("message complete") {
                messages.append(current); inMessage = false
            } else if line.contains(" error code=") {
                let reason = line.components(separatedBy: "reason=\"").last.map { String($0.dropLast()) } ?? ""
                ending = reason.hasPrefix("Pause") ? .pause : .error(reason)
            } else if line.contains("finish=") && !line.hasSuffix("finish=0") {
                ending = .unfinished
            }
        }
        if ending == .clean && inMessage { ending = .unfinished }
        return LLHTTPVector(file: file, title: title, type: type, skipsBody: skipsBody, raw: raw, messages: messages, ending: ending,
                            requestLines: lines)
    }
}
