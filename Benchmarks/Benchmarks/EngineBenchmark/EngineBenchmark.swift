import Benchmark
import Cordon
import Foundation

// The state machine on the shared zone set (cores and approach polygons) fed the shared
// sample trips (50 vehicles, 175k fixes at 1 Hz with speed and heading, interleaved as a fleet
// stream arrives): every fix through `VehicleTracker.apply`, index queries included (point,
// look-ahead segment, exit-margin disk). The zone set comes from the database made by
// Benchmarks/import.sh ($CORDON_BENCH_DB, set "bench"); the trips from $CORDON_BENCH_TRIPS.
// The malloc counter shows the steady state allocates nothing per fix: the only allocations
// are the directives emitted (a few per zone visit).

let env = ProcessInfo.processInfo.environment
let databasePath = env["CORDON_BENCH_DB"] ?? "/tmp/cordon-bench/bench.db"
let tripsPath = env["CORDON_BENCH_TRIPS"] ?? "/tmp/cordon-bench/trips_sample.csv"

/// Fixes of a `vehicle_id,timestamp,lat,lon,speed,heading` CSV and each fix's vehicle slot.
func readTrips(_ bytes: [UInt8]) -> (fixes: [PositionFix], slots: [Int], vehicles: [String]) {
    var fixes: [PositionFix] = [], slots: [Int] = [], vehicles: [String] = [], slot: [String: Int] = [:]
    let text = String(decoding: bytes, as: UTF8.self)
    for line in text.split(separator: "\n").dropFirst() {
        let f = line.split(separator: ",", omittingEmptySubsequences: false)
        guard f.count >= 6, let time = Timestamp(iso8601: String(f[1])), let lat = Double(f[2]), let lon = Double(f[3]) else { continue }
        let id = String(f[0])
        let s = slot[id] ?? vehicles.count
        if s == vehicles.count { slot[id] = s; vehicles.append(id) }
        fixes.append(PositionFix(vehicleID: id, time: time, latitude: lat, longitude: lon, speed: Double(f[4]), heading: Double(f[5])))
        slots.append(s)
    }
    return (fixes, slots, vehicles)
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .throughput, .instructions],
        warmupIterations: 1,
        maxDuration: .seconds(60),
        maxIterations: 10)

    guard let store = try? ZoneStore(path: databasePath), let set = try? store.zoneSet(setName: "bench"),
        let bytes = FileManager.default.contents(atPath: tripsPath)
    else {
        print("EngineBenchmark: run Benchmarks/engine.sh (needs \(databasePath) and \(tripsPath))")
        return
    }
    let zones = ZoneSnapshot(set)
    let trips = readTrips([UInt8](bytes))
    let configuration = EngineConfiguration()

    run("Engine/apply (shared sample trips)", trips.fixes)
    // The same fixes vehicle after vehicle (each vehicle's in time order), as a vehicle
    // logger feeds its own fixes or the replay's workers apply a block: a vehicle's state and
    // index leaf stay in the cache from one fix to the next.
    let byVehicle = trips.fixes.indices.sorted { (trips.slots[$0], $0) < (trips.slots[$1], $1) }
    run("Engine/apply (same fixes, vehicle by vehicle)", byVehicle.map { trips.fixes[$0] }, slots: byVehicle.map { trips.slots[$0] })
    // The same fixes without speed and heading (no look-ahead path): the point query and the
    // exit-margin disk only, to show what the look-ahead costs.
    run("Engine/apply (no look-ahead)", trips.fixes.map { var f = $0; f.speed = nil; f.heading = nil; return f })

    func run(_ name: String, _ fixes: [PositionFix], slots: [Int]? = nil) {
      let slots = slots ?? trips.slots
      Benchmark(name, configuration: .init(scalingFactor: .one)) { benchmark in
        var states = trips.vehicles.map { VehicleState(vehicleID: $0) }
        var scratch = VehicleTracker.Scratch()
        var out: [Directive] = []
        out.reserveCapacity(64)
        var directives = 0
        benchmark.startMeasurement()
        for i in fixes.indices {
            VehicleTracker.apply(fixes[i], to: &states[slots[i]], zones: zones, configuration: configuration, scratch: &scratch, into: &out)
            directives += out.count
            out.removeAll(keepingCapacity: true)
        }
        benchmark.stopMeasurement()
        blackHole(directives)
      }
    }
}
