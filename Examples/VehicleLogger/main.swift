// A vehicle logger evaluating positions on board with Cordon's library (docs/library.md).
//
//   swift run vehicle-logger-example [ZONE FILE]      (default: zones/sample.geojson)
//
// It loads and validates a zone file exactly as `cordon zones import` does (with the approach
// buffers), builds the evaluation snapshot once, then feeds a drive north through
// Government site 45 in Beijing one fix at a time and prints each directive as NDJSON.

import Cordon

let path = CommandLine.arguments.dropFirst().first ?? "zones/sample.geojson"

// 1. Zones: read, validate with GEOS, buffer. An on-board pack would be loaded the same way.
let report = ZoneCatalog.prepare(files: [path], options: ImportOptions())
for problem in report.errors { print(problem) }
guard !report.hasErrors else { fatalError("\(path): not a valid zone file") }
let zones = ZoneSnapshot(ZoneSet(name: "pack", version: 1, entries: report.entries))

// 2. One state per vehicle (the logger owns it), one scratch per thread, the default rules.
var state = VehicleState(vehicleID: "V0001")
var scratch = VehicleTracker.Scratch()
let rules = EngineConfiguration()
var directives: [Directive] = []

// 3. Fixes: 10 m/s due north along 116.3764° E, one per second, from 39.900° N.
let start = Timestamp(iso8601: "2026-03-02T08:00:00Z") ?? Timestamp(millisecondsSinceEpoch: 0)
let metresPerDegree = WGS84.authalicRadius * .pi / 180
for second in 0..<360 {
    let fix = PositionFix(
        vehicleID: state.vehicleID,
        time: Timestamp(millisecondsSinceEpoch: start.millisecondsSinceEpoch + Int64(second) * 1000),
        latitude: 39.900 + Double(second) * 10 / metresPerDegree, longitude: 116.3764,
        accuracy: 5, speed: 10, heading: 0)
    VehicleTracker.apply(fix, to: &state, zones: zones, configuration: rules, scratch: &scratch, into: &directives)
    for directive in directives { print(directive.jsonLine) }
    directives.removeAll(keepingCapacity: true)
}
print("fixes applied: \(state.fixesApplied), enters: \(state.enters), suppressed now: \(state.isSuppressed)")
