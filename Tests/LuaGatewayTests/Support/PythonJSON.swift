import Foundation

/// Runs a Python script (`python3 -c SCRIPT ARGUMENTS`) to its end and decodes the JSON it
/// printed on standard output: the HTTP/2 clients' way of answering the tests.
func runPythonJSON<Result: Decodable>(_ script: String, _ arguments: [String]) throws -> Result {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script] + arguments
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return try JSONDecoder().decode(Result.self, from: data)
}
