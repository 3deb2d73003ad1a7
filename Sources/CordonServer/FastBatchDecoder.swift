import CordonCore
import CordonFormats

/// The evaluate body's common shape read straight into fixes, without building a JSON tree:
/// `{"fixes": [{"vehicle_id": "…", "time": "…", "lat": …, "lon": …, …}, …]}` with no escapes,
/// no unknown or repeated members and every fix valid. Anything else returns nil and the
/// request takes the general path (`FixDecoder`), which gives the documented errors; so this
/// decoder decides nothing the general path would decide differently (checked in tests).
///
/// Stateless; `Sendable`.
enum FastBatchDecoder {
    static func decode(_ bytes: [UInt8], limit: Int) -> [PositionFix]? {
        bytes.withUnsafeBufferPointer { b in
            var r = Reader(b: b)
            return r.body(limit: limit)
        }
    }

    struct Reader {
        let b: UnsafeBufferPointer<UInt8>
        var i = 0

        mutating func ws() {
            while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
        }

        mutating func take(_ c: UInt8) -> Bool {
            ws()
            guard i < b.count, b[i] == c else { return false }
            i += 1
            return true
        }

        /// A string without escapes or control characters: its byte range.
        mutating func plainString() -> Range<Int>? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            let start = i
            while i < b.count {
                let c = b[i]
                if c == UInt8(ascii: "\"") {
                    i += 1
                    return start..<(i - 1)
                }
                if c == UInt8(ascii: "\\") || c < 0x20 { return nil }
                i += 1
            }
            return nil
        }

        /// `null` (nil inside), a JSON number, or nil for anything else.
        mutating func numberOrNull() -> Double?? {
            ws()
            guard i < b.count else { return nil }
            if b[i] == UInt8(ascii: "n") {
                guard i + 4 <= b.count, b[i + 1] == UInt8(ascii: "u"), b[i + 2] == UInt8(ascii: "l"), b[i + 3] == UInt8(ascii: "l")
                else { return nil }
                i += 4
                return .some(nil)
            }
            // JSON grammar: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
            let start = i
            if b[i] == UInt8(ascii: "-") { i += 1 }
            guard i < b.count, Self.digit(b[i]) else { return nil }
            if b[i] == UInt8(ascii: "0") {
                i += 1
                if i < b.count, Self.digit(b[i]) { return nil }
            } else {
                while i < b.count, Self.digit(b[i]) { i += 1 }
            }
            if i < b.count, b[i] == UInt8(ascii: ".") {
                i += 1
                guard i < b.count, Self.digit(b[i]) else { return nil }
                while i < b.count, Self.digit(b[i]) { i += 1 }
            }
            if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
                i += 1
                if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
                guard i < b.count, Self.digit(b[i]) else { return nil }
                while i < b.count, Self.digit(b[i]) { i += 1 }
            }
            guard i - start <= 400, let v = parseDecimal(UnsafeBufferPointer(rebasing: b[start..<i])), v.isFinite else {
                return nil
            }
            return .some(v)
        }

        static func digit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }

        func equals(_ range: Range<Int>, _ key: StaticString) -> Bool {
            guard range.count == key.utf8CodeUnitCount else { return false }
            let k = key.utf8Start
            for j in 0..<range.count where b[range.lowerBound + j] != k[j] { return false }
            return true
        }

        mutating func body(limit: Int) -> [PositionFix]? {
            guard take(UInt8(ascii: "{")), let key = plainString(), equals(key, "fixes"), take(UInt8(ascii: ":")),
                take(UInt8(ascii: "["))
            else { return nil }
            var fixes: [PositionFix] = []
            if !take(UInt8(ascii: "]")) {
                repeat {
                    guard fixes.count < limit, let fix = fix() else { return nil }
                    fixes.append(fix)
                } while take(UInt8(ascii: ","))
                guard take(UInt8(ascii: "]")) else { return nil }
            }
            guard take(UInt8(ascii: "}")) else { return nil }
            ws()
            return i == b.count ? fixes : nil
        }

        /// Reads a number or null into a member not seen yet.
        mutating func number(into slot: inout Double??) -> Bool {
            guard slot == nil, let v = numberOrNull() else { return false }
            slot = v
            return true
        }

        mutating func fix() -> PositionFix? {
            guard take(UInt8(ascii: "{")) else { return nil }
            var vehicle: String?, time: Int64?
            // Each: not seen (nil), or seen with a value or null.
            var lat: Double??, lon: Double??, accuracy: Double??, speed: Double??, heading: Double??
            repeat {
                guard let key = plainString(), take(UInt8(ascii: ":")) else { return nil }
                let read: Bool
                if equals(key, "vehicle_id") {
                    guard vehicle == nil, let r = plainString(),
                        let s = String(validUTF8: UnsafeBufferPointer(rebasing: b[r])), VehicleID.problem(s) == nil
                    else { return nil }
                    vehicle = s
                    read = true
                } else if equals(key, "time") {
                    guard time == nil, let r = plainString(), let t = Timestamp.parse(UnsafeBufferPointer(rebasing: b[r])),
                        Timestamp.plausibleFixTimes.contains(t)
                    else { return nil }
                    time = t
                    read = true
                } else if equals(key, "lat") {
                    read = number(into: &lat)
                } else if equals(key, "lon") {
                    read = number(into: &lon)
                } else if equals(key, "accuracy") {
                    read = number(into: &accuracy)
                } else if equals(key, "speed") {
                    read = number(into: &speed)
                } else if equals(key, "heading") {
                    read = number(into: &heading)
                } else {
                    read = false
                }
                guard read else { return nil }
            } while take(UInt8(ascii: ","))
            guard take(UInt8(ascii: "}")), let vehicle, let time, let lat, let lon else { return nil }
            var coordinate: Coordinate?
            switch (lat, lon) {
            case (nil, nil): coordinate = nil  // a lost fix
            case (let la?, let lo?): coordinate = Coordinate(longitude: lo, latitude: la)
            default: return nil
            }
            let fix = PositionFix(
                vehicleID: vehicle, time: Timestamp(millisecondsSinceEpoch: time), coordinate: coordinate,
                accuracy: accuracy ?? nil, speed: speed ?? nil, heading: heading ?? nil)
            // Out of range: the general path words the error.
            if case .invalidField? = fix.problem { return nil }
            return fix
        }
    }
}
