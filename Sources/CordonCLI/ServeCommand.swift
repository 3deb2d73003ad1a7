import ArgumentParser
import Cordon
import CordonServer
import Dispatch
import Foundation
import Logging

/// `cordon serve`: the HTTP service (docs/http-api.md). Flags override `CORDON_*` environment
/// variables, which override the defaults.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run the HTTP service (vehicle, admin and owner APIs, WebSocket streams, metrics).")

    @Option(help: "SQLite database file (env CORDON_DB; default ./cordon.db).") var db: String?
    @Option(help: "Address to listen on (env CORDON_HOST; default 127.0.0.1).") var host: String?
    @Option(help: "Port to listen on (env CORDON_PORT; default 8080).") var port: Int?
    @Option(name: .customLong("set"), help: "Zone set to evaluate against (env CORDON_SET; default: the only set).")
    var setName: String?
    @Option(help: "Most fixes per evaluate request (env CORDON_BATCH_LIMIT; default 10000).") var batchLimit: Int?
    @Option(help: "Largest body on vehicle routes, bytes (env CORDON_BODY_LIMIT; default 4 MiB).") var bodyLimit: Int?
    @Option(help: "Largest zone upload, bytes (env CORDON_ZONE_BODY_LIMIT; default 64 MiB).") var zoneBodyLimit: Int?
    @Option(help: "Requests per second per token, 0 for no limit (env CORDON_RATE_LIMIT; default 200).")
    var rateLimit: Double?
    @Option(help: "Requests a token may burst above the rate (env CORDON_RATE_BURST; default 400).") var rateBurst: Double?
    @Option(help: "Days directives are kept for owners (env CORDON_RETENTION_DAYS; default 7).") var retentionDays: Double?
    @Option(
        help: "Seconds between writes of the directive log and the vehicle states beside it: what a crash can lose (env CORDON_FLUSH_INTERVAL; default 1)."
    ) var flushInterval: Double?
    @Option(
        help: "Most vehicles held in memory; fixes of further new vehicles get 503 vehicle_limit (env CORDON_MAX_VEHICLES; default 1000000)."
    ) var maxVehicles: Int?
    @Option(
        help: "Seconds after its last fix that a vehicle's state leaves memory, stored and read back at its next fix; 0: never (env CORDON_EVICT_AFTER; default 86400)."
    ) var evictAfter: Double?
    @Option(help: "Log level: trace, debug, info, notice, warning, error (env LOG_LEVEL; default info).")
    var logLevel: String?

    func run() throws {
        var c = ServerConfiguration()
        let environment = ProcessInfo.processInfo.environment
        do {
            try c.apply(environment: environment)
            if let db { c.databasePath = db }
            if let host { c.host = host }
            if let port { c.port = port }
            if let setName { c.setName = setName }
            if let batchLimit { c.batchLimit = batchLimit }
            if let bodyLimit { c.bodyLimit = bodyLimit }
            if let zoneBodyLimit { c.zoneBodyLimit = zoneBodyLimit }
            if let rateLimit { c.rateLimit = rateLimit }
            if let rateBurst { c.rateBurst = rateBurst }
            if let retentionDays { c.retentionDays = retentionDays }
            if let flushInterval { c.flushInterval = flushInterval }
            if let maxVehicles { c.maximumVehicles = maxVehicles }
            if let evictAfter { c.evictAfter = evictAfter }
            try c.check()
        } catch {
            throw CLIExit(code: CLIExit.usage, message: "error: \(error.description)")
        }
        let levelName = logLevel ?? environment["LOG_LEVEL"] ?? "info"
        guard let level = Logger.Level(rawValue: levelName) else {
            throw CLIExit(code: CLIExit.usage, message: "error: unknown log level \"\(levelName)\"")
        }
        // Logs go to stderr (stdout is for results), key=value metadata per line.
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "cordon")
        logger.logLevel = level
        let services: CordonServices
        do { services = try CordonServices(configuration: c) } catch {
            throw CLIExit(code: CLIExit.storage, message: "error: \(error.description)")
        }
        if let snapshot = services.zones.snapshot {
            logger.info("serving zone set", metadata: ["set": "\(snapshot.setName)", "version": "\(snapshot.version)"])
            let restore = services.zones.restoredVehicleStates
            if let failure = restore.failure {
                logger.error("saved vehicle states could not be read; vehicles start fresh", metadata: ["error": "\(failure)"])
            } else {
                logger.info("vehicle states restored", metadata: ["vehicles": "\(restore.restored)", "idle_left_stored": "\(restore.idle)"])
            }
            if !restore.unreadable.isEmpty {
                logger.warning(
                    "saved states that could not be read; these vehicles start fresh",
                    metadata: ["count": "\(restore.unreadable.count)", "first": "\(restore.unreadable.prefix(5).joined(separator: ", "))"])
            }
        } else {
            logger.warning("zone set has no active version yet: /readyz answers 503", metadata: ["set": "\(services.zones.setName)"])
        }
        let app = buildApplication(services, logger: logger)
        let failure = Box()
        let done = DispatchSemaphore(value: 0)
        Task {
            do { try await app.runService() } catch { failure.set("\(error)") }
            done.signal()
        }
        done.wait()
        if let message = failure.get() { throw CLIExit(code: CLIExit.storage, message: "error: \(message)") }
    }
}

/// A message handed from the server task to the main thread.
///
/// `@unchecked Sendable` is safe: the one write happens before `done.signal()` and the read
/// after `done.wait()`, which orders them.
private final class Box: @unchecked Sendable {
    private var message: String?
    func set(_ m: String) { message = m }
    func get() -> String? { message }
}
