#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization
import CordonCore

/// The rows a replay could not use, in input order: the first `kept` in full, all counted.
/// A value owned by one pass.
public struct IssueLog: Sendable {
    public private(set) var count = 0
    public private(set) var first: [RowIssue] = []
    /// Per input (by its position in the inputs), the ascending numbers (0-based, in input
    /// order) of its unusable rows: the redaction pass rejects them without reading their
    /// fields again. 8 bytes a row.
    private(set) var unusableRows: [Int: [Int]] = [:]
    let strict: Bool
    static let kept = 1000

    init(strict: Bool) { self.strict = strict }

    /// Logs the unusable rows of a block of input `input` (named `file`) whose first row is
    /// number `firstRow`: malformed ones (skipped) and fixes the engine will refuse for their
    /// values (no position, out of range). Strict: throws at the first. `lineOffset` is added
    /// to the rows' lines (for rows numbered from their chunk's start).
    mutating func check(_ rows: [TripRow], file: String, input: Int, firstRow: Int, lineOffset: Int = 0) throws(ReplayError) {
        for k in rows.indices where !rows[k].isUsable {
            guard let message = rows[k].problem else { continue }
            let issue = RowIssue(file: file, line: lineOffset + rows[k].line, message: message)
            if strict { throw .malformedRow(issue) }
            count += 1
            if first.count < Self.kept { first.append(issue) }
            unusableRows[input, default: []].append(firstRow + k)
        }
    }
}

/// Progress of a replay for a display: bytes of input read over both passes, rows, phase.
/// Thread-safe (`Sendable`): counters behind a mutex; reports at most ten times a second.
final class ProgressMeter: Sendable {
    struct State {
        var phase = "evaluate"
        var base: Int64 = 0
        var current: Int64 = 0
        var rows = 0
        var lastReport: UInt64 = 0
    }
    let total: Int64
    let report: (@Sendable (ReplayProgress) -> Void)?
    private let state = Mutex(State())

    init(total: Int64, report: (@Sendable (ReplayProgress) -> Void)?) {
        self.total = total
        self.report = report
    }

    func set(done: Int64) {
        state.withLock { $0.current = done }
        emit()
    }

    func add(rows: Int) { state.withLock { $0.rows += rows } }

    /// Rows counted so far.
    var rows: Int { state.withLock { $0.rows } }

    func finishFile() {
        state.withLock {
            $0.base += $0.current
            $0.current = 0
        }
    }

    /// Names the phase from now on.
    func phase(_ name: String) { state.withLock { $0.phase = name } }

    /// Starts counting again (the sorted evaluation reads the inputs once more).
    func restart(phase: String) {
        state.withLock {
            $0 = State()
            $0.phase = phase
        }
    }

    private func emit() {
        guard let report else { return }
        let now = Self.nanoseconds()
        let snapshot: ReplayProgress? = state.withLock { s in
            guard now &- s.lastReport >= 100_000_000 else { return nil }
            s.lastReport = now
            return ReplayProgress(phase: s.phase, bytesDone: s.base + s.current, bytesTotal: total, rows: s.rows)
        }
        if let snapshot { report(snapshot) }
    }

    static func nanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }
}

/// Coarsening of a row's position to a policy's precision.
enum Coarsen {
    static let metresPerDegree = WGS84.authalicRadius * .pi / 180

    /// Snaps a position to the centres of a grid of `meters`: latitude in steps of `meters`
    /// along the meridian, longitude in steps of `meters` along the snapped parallel.
    static func snap(lat: Double, lon: Double, meters: Double) -> (Double, Double) {
        guard meters > 0 else { return (lat, lon) }
        let latStep = meters / metresPerDegree
        let y = max(-90, min(90, (lat / latStep).rounded() * latStep))
        let lonStep = min(360, meters / (metresPerDegree * max(cos(y * .pi / 180), 1e-6)))
        let x = max(-180, min(180, (lon / lonStep).rounded() * lonStep))
        return (y, x)
    }

    /// Six decimals (0.1 m), trailing zeros kept off: `39.914433`.
    static func format(_ v: Double) -> [UInt8] {
        let scaled = Int64((v * 1e6).rounded())
        let negative = scaled < 0
        let m = negative ? -scaled : scaled
        var text = (negative ? "-" : "") + String(m / 1_000_000)
        var fraction = m % 1_000_000
        if fraction != 0 {
            var digits = 6
            while fraction % 10 == 0 { fraction /= 10; digits -= 1 }
            let f = String(fraction)
            text += "." + String(repeating: "0", count: digits - f.count) + f
        }
        return Array(text.utf8)
    }

    /// The row's bytes with its lat and lon values replaced by the snapped ones.
    static func rewrite(_ row: TripRow, meters: Double, in b: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        let (y, x) = snap(lat: row.lat, lon: row.lon, meters: meters)
        out.removeAll(keepingCapacity: true)
        var pieces = [(row.latStart, row.latEnd, format(y)), (row.lonStart, row.lonEnd, format(x))]
        pieces.sort { $0.0 < $1.0 }
        var cursor = row.start
        for (s, e, text) in pieces {
            out.append(contentsOf: UnsafeBufferPointer(rebasing: b[cursor..<s]))
            out.append(contentsOf: text)
            cursor = e
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: b[cursor..<row.end]))
    }
}
