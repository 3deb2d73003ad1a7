public import Foundation

/// Runs the built `cordon` executable and captures its output, for CLI tests.
/// Stateless; `Sendable`.
public enum CLIRunner {
    /// What one run printed and its exit status. A value; `Sendable`.
    public struct Output: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// The `cordon` binary beside the running test bundle, else in `.build/debug`.
    public static var executable: String {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("cordon").path
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        return Fixtures.path(".build/debug/cordon")
    }

    /// A `Process` for `cordon ARGS`, not started, with `environment` added to this one's.
    public static func process(_ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:]) -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        return process
    }

    /// Runs `cordon ARGS` in `directory` and waits for it to exit.
    public static func run(_ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:]) throws -> Output {
        let process = process(arguments, in: directory, environment: environment)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read both pipes to the end before waiting, so a large output cannot block the child.
        let group = DispatchGroup()
        // Written once by the reader block and read only after `group.wait()`, which orders the
        // write before the read: no concurrent access.
        nonisolated(unsafe) var errData = Data()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }
}
