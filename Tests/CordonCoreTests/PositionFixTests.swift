import CordonCore
import Testing

@Suite struct PositionFixTests {
    /// `isUsable` (the engine's per-fix check) says exactly what `problem == nil` says, over
    /// every combination of in-range, boundary, out-of-range and non-finite fields.
    @Test func isUsableAgreesWithProblem() {
        let lats: [Double] = [0, -0.0, 45.5, 90, -90, 90.000_000_1, -90.5, .nan, .infinity, -.infinity]
        let lons: [Double] = [0, 179.9, 180, -180, 180.000_000_1, -181, .nan, .infinity, -.infinity]
        let others: [Double?] = [nil, 0, -0.0, 3.5, -1, -.leastNonzeroMagnitude, .nan, .infinity, -.infinity]
        var usable = 0, refused = 0
        func check(_ fix: PositionFix) {
            #expect(fix.isUsable == (fix.problem == nil), "\(fix)")
            if fix.isUsable { usable += 1 } else { refused += 1 }
        }
        let time = Timestamp(millisecondsSinceEpoch: 0)
        check(PositionFix(vehicleID: "V", time: time, coordinate: nil))
        for lat in lats {
            for lon in lons {
                for a in others {
                    for s in others {
                        for h in others {
                            check(PositionFix(vehicleID: "V", time: time, latitude: lat, longitude: lon, accuracy: a, speed: s, heading: h))
                        }
                    }
                }
            }
        }
        #expect(usable > 1_000 && refused > 1_000)
    }
}
