import ArgumentParser
import Cordon
import Foundation

struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Create, list and revoke API bearer tokens.",
        subcommands: [TokenCreateCommand.self, TokenListCommand.self, TokenRevokeCommand.self])
}

/// Prints the new token alone on stdout (its only appearance: the database keeps its SHA-256).
struct TokenCreateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a token and print it once.")

    @OptionGroup var database: DatabaseOptions
    @Option(help: "admin, vehicle or owner.") var role: String
    @Option(help: "Bind the token to one vehicle id (required for owner, optional for vehicle).") var vehicle: String?
    @Option(help: "A name to recognise the token by in listings and the audit log.") var name: String

    func run() throws {
        guard let r = TokenRole(rawValue: role.lowercased()) else {
            throw CLIExit(code: CLIExit.usage, message: "error: unknown role \"\(role)\" (expected admin, vehicle or owner)")
        }
        let store = try database.open()
        do {
            let (secret, info) = try store.createToken(name: name, role: r, vehicleID: vehicle)
            writeStdout(secret + "\n")
            writeStderr("created \(info.id) (\(info.role.rawValue)\(info.vehicleID.map { ", vehicle \($0)" } ?? "")); store it now, it is not shown again")
        } catch { throw CLIExit.store(error) }
    }
}

struct TokenListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List tokens (never their secrets).")

    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let store = try database.openExisting()
        let tokens: [TokenInfo]
        do { tokens = try store.tokens() } catch { throw CLIExit.store(error) }
        var rows = [["ID", "NAME", "ROLE", "VEHICLE", "CREATED", "REVOKED"]]
        for t in tokens {
            rows.append([t.id, t.name, t.role.rawValue, t.vehicleID ?? "", t.createdAt.iso8601, t.revokedAt?.iso8601 ?? ""])
        }
        writeStdout(table(rows))
    }
}

struct TokenRevokeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a token by id (or by its unique name).")

    @OptionGroup var database: DatabaseOptions
    @Argument(help: "Token id (tok_…) or name.") var token: String

    func run() throws {
        let store = try database.openExisting()
        do {
            let info = try store.revokeToken(token)
            writeStdout("revoked \(info.id) (\(info.name))\n")
        } catch { throw CLIExit.store(error) }
    }
}
