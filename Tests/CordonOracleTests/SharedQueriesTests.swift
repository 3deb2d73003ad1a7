import CordonCore
import CordonIndex
import CordonTestSupport
import Testing

/// The index against GEOS's answers for the shared data: 1,000,000 query points and their
/// `covers` zone lists (computed with shapely/GEOS), on the 10,020 shared zones.
@Suite struct SharedQueriesTests {
    @Test func everySharedQueryMatchesGEOSCovers() throws {
        let zones = try Fixtures.sharedZones()
        let set = ZoneSet(name: "shared", version: 1, entries: zones.map { ZoneSet.Entry(zone: $0, approach: $0.geometry) })
        let index = ZoneIndex.Builder().build(set)
        let queries = Fixtures.csvRows(try Fixtures.gunzip(Fixtures.sharedData("queries.csv.gz")))
        let expected = Fixtures.csvRows(try Fixtures.gunzip(Fixtures.sharedData("expected_queries.csv.gz")))
        try #require(queries.count == 1_000_000 && expected.count == 1_000_000)
        var misses = 0, extras = 0
        var hits: [ZoneHit] = []
        var examples: [String] = []
        for (q, e) in zip(queries, expected) {
            guard let lat = Double(q[1]), let lon = Double(q[2]) else { continue }
            hits.removeAll(keepingCapacity: true)
            index.locate(Coordinate(longitude: lon, latitude: lat), into: &hits)
            let got = hits.map { index.zoneIDs[Int($0.zone)] }
            let want = e[2].isEmpty ? [] : e[2].split(separator: ";").map(String.init)
            if got != want {
                let gs = Set(got), ws = Set(want)
                misses += ws.subtracting(gs).count
                extras += gs.subtracting(ws).count
                if examples.count < 10 { examples.append("\(q[0]) \(q[3]) (\(lon), \(lat)): got \(got) want \(want)") }
            }
        }
        print("oracle: 1,000,000 shared queries: \(queries.count) checked, \(misses) misses, \(extras) false positives")
        #expect(misses == 0, "\(examples)")
        #expect(extras == 0, "\(examples)")
    }
}
