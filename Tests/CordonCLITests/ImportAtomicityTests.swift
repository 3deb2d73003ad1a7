import Cordon
import CordonTestSupport
import Foundation
import Testing

/// A process killed in the middle of an import leaves the previous state intact.
@Suite struct ImportAtomicityTests {
    /// Starts an import that pauses inside its transaction after `zones` zones, waits for the
    /// pause (a line on stderr, no sleeping), and kills it with SIGKILL.
    func killImport(db: String, after zones: Int) throws {
        let process = CLIRunner.process(
            ["zones", "import", Fixtures.path("zones/sample.kml"), "--db", db, "--set", "sample", "--activate"],
            environment: ["CORDON_TEST_PAUSE_AFTER_ZONES": String(zones)])
        let stdin = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        var seen = Data()
        while !String(decoding: seen, as: UTF8.self).contains("paused after \(zones) zones") {
            let chunk = stderr.fileHandleForReading.availableData
            if chunk.isEmpty { break }  // the child exited without pausing
            seen.append(chunk)
        }
        #expect(String(decoding: seen, as: UTF8.self).contains("paused after \(zones) zones"))
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL)
    }

    @Test(arguments: [1, 11, 22])
    func killedImportLeavesPreviousStateIntact(_ zones: Int) throws {
        let dir = Fixtures.temporaryDirectory()
        let db = dir.appendingPathComponent("cordon.db").path
        let first = try CLIRunner.run(["zones", "import", Fixtures.path("zones/sample.geojson"), "--db", db, "--set", "sample", "--activate"])
        #expect(first.status == 0)
        try killImport(db: db, after: zones)
        let store = try ZoneStore(path: db)
        #expect(try store.integrityCheck() == "ok")
        #expect(try store.activeVersion(setName: "sample") == 1)
        #expect(try store.versions(setName: "sample").map(\.version) == [1])
        #expect(try store.zoneSet(setName: "sample").zones.count == 22)
        #expect(try store.auditLog().map(\.action) == ["activate", "import"])
        // The next import gets version 2 as if nothing had happened.
        let next = try CLIRunner.run(["zones", "import", Fixtures.path("zones/sample.kml"), "--db", db, "--set", "sample"])
        #expect(next.status == 0 && next.stdout.contains("version 2"))
    }
}
