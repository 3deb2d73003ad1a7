import CordonCore
import CordonGEOS

/// The counts of one oracle comparison (queries checked, zones the index missed, zones it
/// reported that GEOS did not), printed as one line of the test output, so the false
/// positives are counted there and not only failed on. A false positive is allowed only
/// within 1e-9° of the zone (issue 3); the index is exact, so the tests expect none at all.
/// A value.
struct OracleTally: CustomStringConvertible {
    var checked = 0
    var misses = 0
    var falsePositives = 0
    /// The false positives that lie within 1e-9° of their zone (GEOS distance).
    var nearBoundary = 0

    /// Counts one query: the zones the index and GEOS report. `distance(z)` gives the GEOS
    /// distance from the query to zone z, asked only for a false positive.
    mutating func add(index: Set<UInt32>, geos: Set<UInt32>, distance: (UInt32) throws -> Double) rethrows {
        checked += 1
        misses += geos.subtracting(index).count
        for z in index.subtracting(geos) {
            falsePositives += 1
            if try distance(z) <= 1e-9 { nearBoundary += 1 }
        }
    }

    mutating func add(_ other: OracleTally) {
        checked += other.checked
        misses += other.misses
        falsePositives += other.falsePositives
        nearBoundary += other.nearBoundary
    }

    var description: String {
        "\(checked) checked, \(misses) misses, \(falsePositives) false positives (\(nearBoundary) within 1e-9° of the zone)"
    }

    /// Prints the line `oracle: LABEL: …` to the test output.
    func report(_ label: String) { print("oracle: \(label): \(self)") }
}
