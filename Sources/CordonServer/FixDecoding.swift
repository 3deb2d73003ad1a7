import CordonCore
import CordonFormats

/// Reads position fixes from request JSON with the checks of docs/http-api.md: every problem
/// names the fix's index and the field, and a batch with any bad fix is refused whole (422),
/// so a request is applied entirely or not at all.
struct FixDecoder: Sendable {
    var batchLimit: Int

    /// Parses bytes as JSON; 400 with line and column when malformed.
    static func parse(_ bytes: [UInt8]) throws(APIError) -> JSONValue {
        guard !bytes.isEmpty else { throw APIError.badRequest("the request body is empty (expected JSON)") }
        do { return try JSONParser(maximumDepth: 64).parse(bytes, file: "body") } catch {
            throw APIError.malformedJSON(error)
        }
    }

    /// The fixes of a `POST /v1/evaluate` body: `{"fixes": [ … ]}`.
    func batch(_ body: JSONValue) throws(APIError) -> [PositionFix] {
        guard case .object = body, let value = body["fixes"] else {
            throw APIError.invalid("invalid_body", "the body must be an object with a \"fixes\" array")
        }
        guard case .array(let items) = value else {
            throw APIError.invalid("invalid_body", "\"fixes\" must be an array, not \(value.typeName)")
        }
        guard items.count <= batchLimit else {
            throw APIError.invalid("batch_too_large", "\(items.count) fixes are over the limit of \(batchLimit) per request")
        }
        var fixes: [PositionFix] = []
        fixes.reserveCapacity(items.count)
        var problems: [JSONValue] = []
        var first: String?
        for (index, item) in items.enumerated() {
            switch Self.fix(item, vehicle: nil) {
            case .success(let fix): fixes.append(fix)
            case .failure(let p):
                if first == nil { first = "fix \(index): \(p.field): \(p.problem)" }
                if problems.count < 100 { problems.append(p.json(index: index)) }
            }
        }
        if let first {
            throw APIError.invalid("invalid_fix", first, details: problems)
        }
        return fixes
    }

    /// What is wrong with one field of one fix.
    struct Problem: Error {
        var field: String
        var problem: String

        func json(index: Int?) -> JSONValue {
            var members: [JSONMember] = []
            if let index { members.append(JSONMember("index", .number(Double(index)))) }
            members.append(JSONMember("field", .string(field)))
            members.append(JSONMember("problem", .string(problem)))
            return .object(members)
        }
    }

    /// One fix object. `vehicle`, when given (a stream's path), is the vehicle the fix must be
    /// for; `vehicle_id` may then be left out.
    static func fix(_ item: JSONValue, vehicle: String?) -> Result<PositionFix, Problem> {
        guard case .object = item else { return .failure(Problem(field: "fix", problem: "must be an object, not \(item.typeName)")) }
        let vehicleID: String
        switch item["vehicle_id"] {
        case .string(let s)?:
            if let vehicle, s != vehicle {
                return .failure(Problem(field: "vehicle_id", problem: "is \"\(s.prefix(128))\" on the stream of vehicle \"\(vehicle.prefix(128))\""))
            }
            vehicleID = s
        case nil where vehicle != nil:
            vehicleID = vehicle ?? ""
        case nil:
            return .failure(Problem(field: "vehicle_id", problem: "is missing"))
        case let other?:
            return .failure(Problem(field: "vehicle_id", problem: "must be a string, not \(other.typeName)"))
        }
        if let problem = VehicleID.problem(vehicleID) {
            return .failure(Problem(field: "vehicle_id", problem: problem + " (1 to 128 bytes of UTF-8, no control characters)"))
        }
        guard let timeValue = item["time"] else { return .failure(Problem(field: "time", problem: "is missing")) }
        guard case .string(let timeText) = timeValue else {
            return .failure(Problem(field: "time", problem: "must be an ISO 8601 string, not \(timeValue.typeName)"))
        }
        guard let time = Timestamp(iso8601: timeText) else {
            return .failure(Problem(field: "time", problem: "\"\(timeText.prefix(64))\" is not an ISO 8601 time"))
        }
        if let problem = Timestamp.fixTimeProblem(time.millisecondsSinceEpoch) {
            return .failure(Problem(field: "time", problem: "\"\(timeText.prefix(64))\" \(problem)"))
        }
        // Both null: a lost fix (the receiver has no position), reported back as fix.rejected.
        let lat = item["lat"], lon = item["lon"]
        var coordinate: Coordinate?
        if case .null? = lat, case .null? = lon {
            coordinate = nil
        } else {
            do throws(Problem) {
                // Required: a value or a problem, never nil (NaN would be refused below anyway).
                let la = try number(lat, "lat", required: true).get() ?? .nan
                let lo = try number(lon, "lon", required: true).get() ?? .nan
                coordinate = Coordinate(longitude: lo, latitude: la)
            } catch {
                return .failure(error)
            }
        }
        var optional: [Double?] = []
        for field in ["accuracy", "speed", "heading"] {
            switch number(item[field], field, required: false) {
            case .success(let v): optional.append(v)
            case .failure(let p): return .failure(p)
            }
        }
        let fix = PositionFix(
            vehicleID: vehicleID, time: time, coordinate: coordinate, accuracy: optional[0], speed: optional[1],
            heading: optional[2])
        // The ranges every input path applies (a lost fix is not a problem here: the engine reports it).
        if case .invalidField(let field, _)? = fix.problem, let text = fix.problem?.description {
            // "speed -3.0 must be …": the field is named beside it already.
            return .failure(Problem(field: field, problem: text.hasPrefix(field + " ") ? String(text.dropFirst(field.count + 1)) : text))
        }
        return .success(fix)
    }

    /// A finite number, nil when absent or null (and not `required`).
    private static func number(_ value: JSONValue?, _ field: String, required: Bool) -> Result<Double?, Problem> {
        switch value {
        case .number(let v)?:
            guard v.isFinite else { return .failure(Problem(field: field, problem: "must be finite")) }
            return .success(v)
        case nil, .null?:
            return required ? .failure(Problem(field: field, problem: "is missing")) : .success(nil)
        case let other?:
            return .failure(Problem(field: field, problem: "must be a number, not \(other.typeName)"))
        }
    }
}
