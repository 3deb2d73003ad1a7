import Cordon
import CordonTestSupport
import Foundation
import Testing

@Suite struct ServerCLITests {
    /// `token create` prints the token alone on stdout; `list` never shows it; `revoke` ends it.
    @Test func tokenCommands() throws {
        let dir = Fixtures.temporaryDirectory("cordon-cli-token")
        let db = dir.appendingPathComponent("t.db").path
        let created = try CLIRunner.run(["token", "create", "--db", db, "--role", "owner", "--vehicle", "V1", "--name", "alice"])
        #expect(created.status == 0)
        let lines = created.stdout.split(separator: "\n")
        #expect(lines.count == 1)
        let secret = String(lines.first ?? "")
        #expect(secret.hasPrefix("cordon_") && secret.count == 71)
        let list = try CLIRunner.run(["token", "list", "--db", db])
        #expect(list.stdout.contains("alice") && list.stdout.contains("owner") && list.stdout.contains("V1"))
        #expect(!list.stdout.contains(secret))
        #expect(try ZoneStore(path: db).token(secret: secret)?.vehicleID == "V1")
        let revoked = try CLIRunner.run(["token", "revoke", "--db", db, "alice"])
        #expect(revoked.status == 0)
        #expect(try ZoneStore(path: db).token(secret: secret) == nil)
        let again = try CLIRunner.run(["token", "revoke", "--db", db, "alice"])
        #expect(again.status == 1)
        let badRole = try CLIRunner.run(["token", "create", "--db", db, "--role", "root", "--name", "x"])
        #expect(badRole.status == 2)
        let ownerWithoutVehicle = try CLIRunner.run(["token", "create", "--db", db, "--role", "owner", "--name", "x"])
        #expect(ownerWithoutVehicle.status == 1)
    }

    /// `cordon serve` starts, logs where it listens (to stderr), and exits 0 on SIGTERM.
    @Test func serveStopsGracefullyOnSIGTERM() throws {
        let dir = Fixtures.temporaryDirectory("cordon-cli-serve")
        let db = dir.appendingPathComponent("s.db").path
        let imported = try CLIRunner.run(["zones", "import", Fixtures.path("zones/sample.geojson"), "--db", db, "--set", "s", "--activate"])
        #expect(imported.status == 0)
        let process = CLIRunner.process(["serve", "--db", db, "--port", "0"])
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        var text = ""
        while !text.contains("listening on") {
            let chunk = err.fileHandleForReading.availableData
            if chunk.isEmpty { break }  // the process ended
            text += String(decoding: chunk, as: UTF8.self)
        }
        #expect(text.contains("serving zone set"))
        #expect(text.contains("listening on 127.0.0.1:"))
        process.terminate()  // SIGTERM
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
    }
}
