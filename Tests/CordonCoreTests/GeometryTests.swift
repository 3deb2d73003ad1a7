import CordonCore
import CordonTestSupport
import Testing

@Suite struct GeometryTests {
    let square = Ring([
        Coordinate(longitude: 0, latitude: 0), Coordinate(longitude: 0, latitude: 1),
        Coordinate(longitude: 1, latitude: 1), Coordinate(longitude: 1, latitude: 0), Coordinate(longitude: 0, latitude: 0),
    ])  // clockwise

    @Test func normalizesWinding() {
        #expect(!square.isCounterClockwise)
        let hole = Ring(square.coordinates.map { Coordinate(longitude: $0.longitude * 0.5 + 0.25, latitude: $0.latitude * 0.5 + 0.25) }).reversed()
        let p = Polygon(exterior: square, holes: [hole]).normalized()
        #expect(p.exterior.isCounterClockwise)
        #expect(!p.holes[0].isCounterClockwise)
        #expect(p.exterior.signedDoubleArea == 2)
        #expect(p.vertexCount == 8)
        #expect(p.normalized() == p)
    }

    @Test func policyStrictestWins() {
        #expect(DataAction.strictest(.none, .coarsen(meters: 100)) == .coarsen(meters: 100))
        #expect(DataAction.strictest(.coarsen(meters: 1000), .coarsen(meters: 100)) == .coarsen(meters: 1000))
        #expect(DataAction.strictest(.localOnly, .coarsen(meters: 5000)) == .localOnly)
        #expect(DataAction.strictest(.localOnly, .drop) == .drop)
        let p = Policy(cameras: [.exterior], data: .localOnly).combined(with: Policy(cameras: [.cabin], data: .none))
        #expect(p == Policy(cameras: [.exterior, .cabin], data: .localOnly))
        #expect(Policy(cameras: [], data: .none).isNoOp)
    }

    @Test func categoryDefaultsFollowDesign() {
        #expect(Category.military.defaultPolicy == Policy(cameras: [.exterior, .cabin], data: .drop))
        #expect(Category.defenseIndustry.defaultBufferMeters == 500)
        #expect(Category.government.defaultPolicy == Policy(cameras: [.exterior], data: .drop))
        #expect(Category.government.defaultBufferMeters == 200)
        #expect(Category.custom.defaultPolicy == Policy(cameras: [.exterior], data: .drop))
        #expect(Category.custom.defaultBufferMeters == 100)
    }

    @Test func wkbRoundTripsAndRefusesDamage() throws {
        let g = try #require(Fixtures.geometry("MULTIPOLYGON (((116 39, 116.01 39, 116.01 39.01, 116 39)), ((117 39, 117.01 39, 117.01 39.01, 117 39), (117.002 39.001, 117.008 39.001, 117.008 39.002, 117.002 39.001)))"))
        let bytes = WKB.encode(g)
        #expect(try WKB.decode(bytes) == g)
        let single = try #require(Fixtures.geometry("POLYGON ((116 39, 116.01 39, 116.01 39.01, 116 39))"))
        #expect(try WKB.decode(WKB.encode(single)) == single)
        // The same polygon in big-endian WKB (byte order 0), as other tools may write it.
        var big: [UInt8] = [0, 0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0, 4]
        for c in single.polygons[0].exterior.coordinates {
            for v in [c.longitude, c.latitude] { big += withUnsafeBytes(of: v.bitPattern.bigEndian, Array.init) }
        }
        #expect(try WKB.decode(big) == single)
        for cut in 0..<bytes.count {
            #expect(throws: WKB.Error.self) { try WKB.decode(Array(bytes.prefix(cut))) }
        }
        // A count far larger than the bytes present is refused before allocating.
        var hostile = Array(bytes.prefix(5))
        hostile += [0xFF, 0xFF, 0xFF, 0x7F]
        #expect(throws: WKB.Error.self) { try WKB.decode(hostile) }
    }

    /// A ring's box in one loop is the box of its coordinates added one by one (ties and signed
    /// zeros picked alike); boxes meet when they share a point, sides included, and an empty
    /// box meets nothing.
    @Test func boxesOfRingsAndTheirIntersections() {
        var state: UInt64 = 7
        for n in 0..<200 {
            let coordinates = (0..<(n % 37)).map { _ -> Coordinate in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let v = [-0.0, 0.0, 1, -1, 2.5][Int(state >> 60) % 5]
                return Coordinate(longitude: v * Double(n % 7), latitude: Double(Int(state >> 33) % 9) - 4)
            }
            var oneByOne = BoundingBox.empty
            for c in coordinates { oneByOne.extend(c) }
            var whole = BoundingBox.empty
            whole.extend(coordinates)
            #expect([whole.minLongitude, whole.minLatitude, whole.maxLongitude, whole.maxLatitude].map(\.bitPattern)
                == [oneByOne.minLongitude, oneByOne.minLatitude, oneByOne.maxLongitude, oneByOne.maxLatitude].map(\.bitPattern))
        }
        let a = BoundingBox(minLongitude: 0, minLatitude: 0, maxLongitude: 1, maxLatitude: 1)
        #expect(a.intersects(BoundingBox(minLongitude: 1, minLatitude: 1, maxLongitude: 2, maxLatitude: 2)))  // a corner
        #expect(a.intersects(BoundingBox(minLongitude: 0.2, minLatitude: 0.2, maxLongitude: 0.3, maxLatitude: 0.3)))
        #expect(!a.intersects(BoundingBox(minLongitude: 1.0000001, minLatitude: 0, maxLongitude: 2, maxLatitude: 1)))
        #expect(!a.intersects(BoundingBox(minLongitude: 0, minLatitude: -2, maxLongitude: 1, maxLatitude: -0.5)))
        #expect(!a.intersects(.empty) && !BoundingBox.empty.intersects(a))
    }
}
