#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CordonCore
import CordonFormats

/// The replay's map: zones (core and approach) around the tracks, the tracks coloured by
/// what happened to their fixes, a legend and a scale bar, as SVG.
///
/// Light whatever the fleet: tracks and rings are thinned in screen space (a point closer
/// than a pixel to the last one drawn is skipped), and only zones near the tracks are drawn.
/// A value owned by one replay; filled during the redaction pass.
struct TrackMap {
    enum Style: Int { case kept = 0, dropped, coarsened }

    let bounds: Bounds
    let width: Double
    let height: Double
    let scale: Double
    let cosLat: Double
    let lon0: Double, lat1: Double
    /// Whether longitudes are drawn in [0, 360) (the tracks straddle the antimeridian and span
    /// less that way), so a track crossing ±180° stays one short line.
    let wrapped: Bool
    let margin = 20.0
    /// Per vehicle: finished polylines and the one being drawn.
    /// Vehicles by slot (`track(of:)`), and their tracks.
    private var vehicles = VehicleSlots()
    private var tracks: [Track] = []

    struct Track {
        var lines: [(Style, [Int32])] = []
        var current: [Int32] = []
        var style = Style.kept
        var lastX = Double.nan, lastY = Double.nan

        /// Appends a point, or skips it when it is within a pixel of the last one and the style
        /// did not change.
        mutating func add(_ x: Double, _ y: Double, _ newStyle: Style) {
            let dx = x - lastX, dy = y - lastY
            if newStyle != style {
                if !current.isEmpty {
                    current.append(Int32((x * 10).rounded()))
                    current.append(Int32((y * 10).rounded()))
                    lines.append((style, current))
                }
                current = []
                style = newStyle
            } else if dx * dx + dy * dy < 1 {
                return
            }
            current.append(Int32((x * 10).rounded()))
            current.append(Int32((y * 10).rounded()))
            lastX = x
            lastY = y
        }
    }

    init(bounds: Bounds, width: Int) {
        var b = bounds
        if b.isEmpty { b = Bounds(minLat: -1, maxLat: 1, minLon: -1, maxLon: 1) }
        wrapped = b.maxLon360 - b.minLon360 < b.maxLon - b.minLon
        if wrapped { (b.minLon, b.maxLon) = (b.minLon360, b.maxLon360) }
        let (lowest, highest) = wrapped ? (0.0, 360.0) : (-180.0, 180.0)
        // At least ~1 km across.
        let padLat = max((b.maxLat - b.minLat) * 0.06, 0.005), padLon = max((b.maxLon - b.minLon) * 0.06, 0.005)
        b = Bounds(
            minLat: max(-90, b.minLat - padLat), maxLat: min(90, b.maxLat + padLat), minLon: max(lowest, b.minLon - padLon),
            maxLon: min(highest, b.maxLon + padLon))
        self.bounds = b
        cosLat = max(cos((b.minLat + b.maxLat) / 2 * .pi / 180), 0.05)
        self.width = Double(max(300, width))
        let spanX = (b.maxLon - b.minLon) * cosLat, spanY = b.maxLat - b.minLat
        scale = (self.width - 2 * margin) / max(spanX, 1e-9)
        height = min(max(spanY * scale + 2 * margin, 300), self.width * 1.5)
        lon0 = b.minLon
        lat1 = b.maxLat
    }

    func project(lat: Double, lon: Double) -> (Double, Double) {
        let x = wrapped && lon < 0 ? lon + 360 : lon
        return (margin + (x - lon0) * cosLat * scale, margin + (lat1 - lat) * scale)
    }

    /// Whether a zone's box meets the drawn area (its longitudes taken as `project` takes them;
    /// when drawing in [0, 360) a box across Greenwich is two intervals there).
    func meets(_ box: BoundingBox) -> Bool {
        guard box.maxLatitude >= bounds.minLat, box.minLatitude <= bounds.maxLat else { return false }
        guard wrapped else { return box.maxLongitude >= bounds.minLon && box.minLongitude <= bounds.maxLon }
        let west = box.minLongitude < 0 ? box.minLongitude + 360 : box.minLongitude
        let east = box.maxLongitude < 0 ? box.maxLongitude + 360 : box.maxLongitude
        if west <= east { return east >= bounds.minLon && west <= bounds.maxLon }
        return bounds.maxLon >= west || bounds.minLon <= east
    }

    /// The track of `vehicle`, made on first sight: what `add` takes.
    mutating func track(of vehicle: String) -> Int {
        let (k, isNew) = vehicles.slot(of: vehicle)
        if isNew { tracks.append(Track()) }
        return k
    }

    /// Adds a usable row's position to track `k`.
    mutating func add(lat: Double, lon: Double, track k: Int, decision: Decision) {
        guard lat.isFinite, lon.isFinite else { return }
        let style: Style
        switch decision {
        case .keep: style = .kept
        case .coarsen: style = .coarsened
        default: style = .dropped
        }
        let (x, y) = project(lat: lat, lon: lon)
        tracks[k].add(x, y, style)  // in place: no copy of the track
    }

    /// The map as SVG text, written into bytes (the shared fleet's map has some 50,000 numbers;
    /// appending them to a `String` one by one cost more than drawing them).
    func svg(zoneSet: ZoneSet?) -> [UInt8] {
        let w = Int(width), h = Int(height.rounded())
        var out: [UInt8] = []
        out.reserveCapacity(1 << 20)
        func put(_ text: String) { out.append(contentsOf: text.utf8) }
        put("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(w)\" height=\"\(h)\" viewBox=\"0 0 \(w) \(h)\" font-family=\"sans-serif\" font-size=\"12\">\n")
        put("<style>.a{fill:#f6c28b;fill-opacity:.45;stroke:#e08a2e;stroke-width:.6}.c{fill:#c0392b;fill-opacity:.55;stroke:#922b21;stroke-width:.8}")
        put(".k{fill:none;stroke:#2471a3;stroke-width:1.4;stroke-linejoin:round;stroke-linecap:round}.d{fill:none;stroke:#e6007e;stroke-width:2.6;stroke-linejoin:round;stroke-linecap:round}")
        put(".o{fill:none;stroke:#f1c40f;stroke-width:2.2;stroke-linejoin:round}</style>\n")
        put("<rect width=\"100%\" height=\"100%\" fill=\"#fbfbf8\"/>\n")
        if let zoneSet {
            // One path per zone (even-odd inside it for holes), so overlapping zones do not
            // cancel each other out; approach areas below every core.
            var approach: [UInt8] = [], core: [UInt8] = []
            var scratch: [(Double, Double)] = []
            for entry in zoneSet.entries {
                let box = entry.approach.isEmpty ? entry.zone.geometry.boundingBox : entry.approach.boundingBox
                guard meets(box) else { continue }
                if !entry.approach.isEmpty { path(entry.approach, into: &approach, scratch: &scratch) }
                path(entry.zone.geometry, into: &core, scratch: &scratch)
            }
            put("<g class=\"a\" fill-rule=\"evenodd\">")
            out += approach
            put("</g>\n<g class=\"c\" fill-rule=\"evenodd\">")
            out += core
            put("</g>\n")
        }
        // Tracks: kept first, then the suppressed stretches on top.
        let order = naturalIDPermutation(vehicles.ids)
        for style in [Style.kept, .coarsened, .dropped] {
            let cls = style == .kept ? "k" : style == .dropped ? "d" : "o"
            var d: [UInt8] = []
            for k in order {
                let t = tracks[k]
                var lines = t.lines
                if !t.current.isEmpty { lines.append((t.style, t.current)) }
                for (s, pts) in lines where s == style {
                    d.append(UInt8(ascii: "M"))
                    var k = 0
                    while k + 1 < pts.count {
                        if k > 0 { d.append(UInt8(ascii: " ")) }
                        Self.point(pts[k], pts[k + 1], into: &d)
                        k += 2
                    }
                    if pts.count == 2 { d += Array("h0.1".utf8) }
                }
            }
            if !d.isEmpty {
                put("<path class=\"\(cls)\" d=\"")
                out += d
                put("\"/>\n")
            }
        }
        put(legend())
        put(scaleBar())
        put("</svg>\n")
        return out
    }

    /// Appends `<path d="…"/>` for a multipolygon's rings, thinned to whole pixels; a ring
    /// smaller than two pixels becomes a small square so it stays visible. A ring whose
    /// projected box is less than 0.71 px across (most zones on a country-wide map) is such a
    /// square without thinning: every point after its first lies within 0.71 px of it.
    private func path(_ m: MultiPolygon, into out: inout [UInt8], scratch pts: inout [(Double, Double)]) {
        out += Array("<path d=\"".utf8)
        for polygon in m.polygons {
            for ring in polygon.rings {
                guard let first = ring.coordinates.first else { continue }
                var lo = project(lat: first.latitude, lon: first.longitude), hi = lo
                for c in ring.coordinates {
                    let p = project(lat: c.latitude, lon: c.longitude)
                    lo = (min(lo.0, p.0), min(lo.1, p.1))
                    hi = (max(hi.0, p.0), max(hi.1, p.1))
                }
                let (dx, dy) = (hi.0 - lo.0, hi.1 - lo.1)
                pts.removeAll(keepingCapacity: true)
                if dx * dx + dy * dy < 0.5 {
                    pts.append(project(lat: first.latitude, lon: first.longitude))
                } else {
                    var last = (Double.nan, Double.nan)
                    for c in ring.coordinates {
                        let p = project(lat: c.latitude, lon: c.longitude)
                        let dx = p.0 - last.0, dy = p.1 - last.1
                        if !(dx * dx + dy * dy < 0.5) {
                            pts.append(p)
                            last = p
                        }
                    }
                }
                if pts.count < 3 {
                    let p = pts[0]
                    out.append(UInt8(ascii: "M"))
                    Self.point(Int32((p.0 * 10 - 10).rounded()), Int32((p.1 * 10 - 10).rounded()), into: &out)
                    out += Array("h2v2h-2z".utf8)
                    continue
                }
                out.append(UInt8(ascii: "M"))
                for (k, p) in pts.enumerated() {
                    if k > 0 { out.append(UInt8(ascii: " ")) }
                    Self.point(Int32((p.0 * 10).rounded()), Int32((p.1 * 10).rounded()), into: &out)
                }
                out.append(UInt8(ascii: "z"))
            }
        }
        out += Array("\"/>".utf8)
    }

    private func legend() -> String {
        var out = "<g transform=\"translate(\(Int(width) - 230),12)\">"
        out += "<rect width=\"218\" height=\"112\" rx=\"4\" fill=\"#fff\" fill-opacity=\".9\" stroke=\"#999\"/>"
        let items: [(String, String)] = [
            ("<rect x=\"10\" y=\"10\" width=\"22\" height=\"12\" class=\"c\"/>", "zone (core)"),
            ("<rect x=\"10\" y=\"30\" width=\"22\" height=\"12\" class=\"a\"/>", "approach buffer"),
            ("<path d=\"M10,56h22\" class=\"k\"/>", "track, fixes kept"),
            ("<path d=\"M10,76h22\" class=\"d\"/>", "suppressed: dropped"),
            ("<path d=\"M10,96h22\" class=\"o\"/>", "coarsened"),
        ]
        for (k, (shape, label)) in items.enumerated() {
            out += shape + "<text x=\"40\" y=\"\(20 + 20 * k)\">\(label)</text>"
        }
        return out + "</g>\n"
    }

    private func scaleBar() -> String {
        let metresPerPixel = Coarsen.metresPerDegree / scale
        let target = metresPerPixel * 150
        let magnitude = pow(10, floor(log10(target)))
        var nice = magnitude
        for m in [1.0, 2.0, 5.0] where m * magnitude <= target { nice = m * magnitude }
        let px = nice / metresPerPixel
        let label = nice >= 1000 ? "\(JSONWriter.number(nice / 1000)) km" : "\(JSONWriter.number(nice)) m"
        let y = height - 18
        var out = "<g stroke=\"#333\" stroke-width=\"2\"><path d=\"M20,\(JSONWriter.number(y))h\(JSONWriter.number((px * 10).rounded() / 10))\"/>"
        out += "<path d=\"M20,\(JSONWriter.number(y - 5))v10M\(JSONWriter.number(((20 + px) * 10).rounded() / 10)),\(JSONWriter.number(y - 5))v10\"/></g>"
        out += "<text x=\"20\" y=\"\(JSONWriter.number(y - 8))\">\(label)</text>\n"
        return out
    }

    /// Appends `x,y`, both in tenths of a pixel.
    static func point(_ x: Int32, _ y: Int32, into out: inout [UInt8]) {
        decimal(x, into: &out)
        out.append(UInt8(ascii: ","))
        decimal(y, into: &out)
    }

    /// Appends a count of tenths as a decimal with at most one digit after the point.
    static func decimal(_ tenths: Int32, into out: inout [UInt8]) {
        let v = Int(tenths)
        if v < 0 { out.append(UInt8(ascii: "-")) }
        let a = abs(v)
        JSONWriter.number(Double(a / 10), into: &out)
        if a % 10 != 0 {
            out.append(UInt8(ascii: "."))
            out.append(UInt8(48 + a % 10))
        }
    }
}
