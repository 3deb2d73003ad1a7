import ArgumentParser
import Cordon
import Foundation

/// The `cordon` executable. Exit codes (docs/cli.md): 0 ok, 1 invalid input, 2 usage,
/// 3 storage error. Errors and diagnostics go to stderr; results to stdout.
@main
struct CordonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cordon",
        abstract: "Restricted-zone geofencing and camera suppression.",
        discussion: "`cordon --version` prints the version. Exit codes: 0 ok, 1 invalid input, 2 usage, 3 storage error.",
        subcommands: [
            ZonesCommand.self, CheckCommand.self, LocateCommand.self, ReplayCommand.self, BenchCommand.self, ServeCommand.self,
            TokenCommand.self,
        ])

    /// Printed by `cordon --version`. Not the configuration's `version`: that would add a
    /// `--version` flag to every subcommand's help, beside the zone-set `--version N` option.
    static let version = "0.1.0"

    static func main() {
        if Array(CommandLine.arguments.dropFirst()) == ["--version"] {
            print(version)
            return
        }
        do {
            var command = try parseAsRoot(CheckCommand.withNegativeCoordinates(Array(CommandLine.arguments.dropFirst())))
            try command.run()
        } catch let exit as CLIExit {
            if !exit.message.isEmpty { writeStderr(exit.message) }
            Foundation.exit(exit.code)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                self.exit(withError: error)  // --help, --version
            }
            writeStderr(fullMessage(for: error))
            Foundation.exit(CLIExit.usage)
        }
    }
}

/// A finished command's exit status with an optional message for stderr.
struct CLIExit: Error {
    static let invalidInput: Int32 = 1
    static let usage: Int32 = 2
    static let storage: Int32 = 3

    var code: Int32
    var message: String

    static func invalid(_ message: String = "") -> CLIExit { CLIExit(code: invalidInput, message: message) }

    /// Maps a store failure: missing things and conflicts are the user's input (1), the rest is storage (3).
    static func store(_ error: StoreError) -> CLIExit {
        switch error {
        case .notFound, .conflict: CLIExit(code: invalidInput, message: "error: \(error.description)")
        default: CLIExit(code: storage, message: "error: \(error.description)")
        }
    }
}

func writeStderr(_ text: String) {
    FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
}

/// Writes standard output in large blocks (print() is slow for megabytes of GeoJSON).
func writeStdout(_ text: String) {
    FileHandle.standardOutput.write(Data(text.utf8))
}

struct ZonesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zones",
        abstract: "Validate, import, list, show, activate, roll back and export zone sets.",
        subcommands: [
            ValidateCommand.self, ImportCommand.self, ListCommand.self, ShowCommand.self, ActivateCommand.self,
            RollbackCommand.self, ExportCommand.self, AuditCommand.self,
        ])
}
