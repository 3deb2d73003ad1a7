import CordonCore
import CordonGEOS
import CordonTestSupport
import Testing

@Suite struct ValidationTests {
    /// (WKT, expected code, expected location or nil). Valid geometries expect nil.
    static let cases: [(String, String?, Coordinate?)] = [
        ("POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0))", nil, nil),
        ("POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0), (2 2, 2 4, 4 4, 4 2, 2 2))", nil, nil),
        ("POLYGON ((0 0, 10 10, 10 0, 0 10, 0 0))", "self_intersection", Coordinate(longitude: 5, latitude: 5)),
        ("POLYGON ((0 0, 4 0, 2 2, 4 4, 0 4, 2 2, 0 0))", "ring_self_intersection", Coordinate(longitude: 2, latitude: 2)),
        ("POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0), (20 20, 20 21, 21 21, 21 20, 20 20))", "hole_outside_shell", Coordinate(longitude: 20, latitude: 20)),
        ("POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0), (1 1, 1 9, 9 9, 9 1, 1 1), (2 2, 2 8, 8 8, 8 2, 2 2))", "nested_holes", Coordinate(longitude: 2, latitude: 2)),
        ("MULTIPOLYGON (((0 0, 10 0, 10 10, 0 10, 0 0)), ((2 2, 8 2, 8 8, 2 8, 2 2)))", "nested_shells", Coordinate(longitude: 2, latitude: 2)),
        ("POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0), (5 0, 10 5, 5 10, 0 5, 5 0))", "disconnected_interior", nil),
        ("POLYGON ((0 0, 1 0, 1 0, 0 0))", "too_few_points", Coordinate(longitude: 0, latitude: 0)),
        ("MULTIPOLYGON (((0 0, 10 0, 10 10, 0 10, 0 0)), ((5 5, 15 5, 15 15, 5 15, 5 5)))", "self_intersection", nil),
        ("POLYGON ((0 0, 10 0, 10 10, 5 0, 0 10, 0 0))", "ring_self_intersection", Coordinate(longitude: 5, latitude: 0)),
        ("POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0, 0 0))", nil, nil),  // repeated vertex is valid
    ]

    @Test func reportsGEOSReasonsAndLocations() throws {
        let context = try GEOSContext()
        for (wkt, code, location) in Self.cases {
            let g = try #require(Fixtures.geometry(wkt), "\(wkt)")
            let problem = try context.validityProblem(g)
            #expect(problem?.code == code, "\(wkt): \(String(describing: problem))")
            if let location { #expect(problem?.location == location, "\(wkt)") }
            if let problem { #expect(problem.message.hasPrefix(problem.reason)) }
        }
    }

    @Test func repairMakesValidAndSaysWhat() throws {
        let context = try GEOSContext()
        let bowtie = try #require(Fixtures.geometry("POLYGON ((0 0, 10 10, 10 0, 0 10, 0 0))"))
        let outcome = try context.repair(bowtie)
        #expect(try context.validityProblem(outcome.geometry) == nil)
        #expect(outcome.geometry.polygons.count == 2)
        #expect(outcome.summary.contains("1 part(s) → 2 polygon(s)"))
        // Repair keeps the area of a valid part and drops collapsed spikes.
        let spike = try #require(Fixtures.geometry("POLYGON ((0 0, 10 0, 10 10, 10 20, 10 10, 0 10, 0 0))"))
        let fixed = try context.repair(spike)
        #expect(try context.validityProblem(fixed.geometry) == nil)
        #expect(try context.geometry(fixed.geometry).area() == 100)
    }
}
