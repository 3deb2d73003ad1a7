import CordonCore

/// One vehicle's data actions over time, made from its directives (`TimelineEvent`): for any instant, the
/// strictest action in force and the categories that imposed it. Windows run from a begin's
/// `effective_at` (pre-roll included) to the matching end's `effective_at`; a window still open
/// at the end of the input runs to the end of time (fail-safe).
///
/// A value; `Sendable`. Built once after the engine pass, then only read.
struct VehicleTimeline: Sendable {
    /// Breakpoints, ascending; segment k runs from `times[k]` to `times[k + 1]` (the last
    /// one forever) with `actions[k]`; before `times[0]` nothing is in force.
    private(set) var times: [Int64] = []
    private(set) var actions: [DataAction] = []
    private(set) var categories: [UInt8] = []
    /// Suppressed time (cameras off or any data action), and per category, in milliseconds,
    /// open intervals closed at `lastFix`.
    private(set) var suppressedMilliseconds: Int64 = 0
    private(set) var categoryMilliseconds: [Category: Int64] = [:]

    struct Window {
        var start: Int64
        var end: Int64
        var action: DataAction
        var categories: UInt8
    }

    static func mask(_ categories: [Category]) -> UInt8 {
        var m: UInt8 = 0
        for c in categories { m |= 1 << UInt8(c.position) }
        return m
    }

    /// The timeline of a vehicle's directives as the replay keeps them (`TimelineEvent`, in
    /// sequence order).
    init(events: [TimelineEvent], lastFix: Int64) {
        var dataWindows: [Window] = []
        var cameraWindows: [Window] = []
        var openData: [(DataAction, Window)] = []
        var openCamera: Window?
        for d in events {
            let t = d.effectiveAt
            let m = d.categories
            switch d.kind {
            case .cameraDisable:
                if openCamera == nil { openCamera = Window(start: t, end: .max, action: .none, categories: m) }
                openCamera?.categories |= m
            case .cameraEnable:
                if var w = openCamera {
                    w.end = t
                    w.categories |= m
                    cameraWindows.append(w)
                    openCamera = nil
                }
            case .fixRejected:
                break
            default:
                guard let action = d.dataAction else { break }
                if d.kind.isBegin {
                    openData.append((action, Window(start: t, end: .max, action: action, categories: m)))
                } else if let k = openData.firstIndex(where: { $0.0 == action }) {
                    var w = openData.remove(at: k).1
                    w.end = t
                    w.categories |= m
                    dataWindows.append(w)
                }
            }
        }
        dataWindows.append(contentsOf: openData.map(\.1))
        if let w = openCamera { cameraWindows.append(w) }

        guard !dataWindows.isEmpty || !cameraWindows.isEmpty else { return }  // never suppressed
        // Elementary segments of the data windows.
        var points: [Int64] = []
        points.reserveCapacity(2 * dataWindows.count)
        for w in dataWindows {
            points.append(w.start)
            if w.end != .max { points.append(w.end) }
        }
        points.sort()
        for t in points where times.last != t { times.append(t) }
        for (k, t) in times.enumerated() {
            let next = k + 1 < times.count ? times[k + 1] : Int64.max
            var action = DataAction.none
            var mask: UInt8 = 0
            for w in dataWindows where w.start <= t && next <= w.end && w.start < next {
                if w.action == action {
                    mask |= w.categories
                } else if DataAction.strictest(w.action, action) == w.action {
                    action = w.action
                    mask = w.categories
                }
            }
            actions.append(action)
            categories.append(mask)
        }

        // Suppressed time: the union of all windows, open ones closed at the last fix.
        let all = (dataWindows + cameraWindows).map { w -> Window in
            var w = w
            if w.end == .max { w.end = max(w.start, lastFix) }
            return w
        }
        suppressedMilliseconds = Self.unionLength(all.map { ($0.start, $0.end) })
        let used = all.reduce(UInt8(0)) { $0 | $1.categories }
        for c in Category.allCases where used & 1 << UInt8(c.position) != 0 {
            let bit: UInt8 = 1 << UInt8(c.position)
            let spans = all.filter { $0.categories & bit != 0 }.map { ($0.start, $0.end) }
            categoryMilliseconds[c] = Self.unionLength(spans)
        }
    }

    static func unionLength(_ spans: [(Int64, Int64)]) -> Int64 {
        var total: Int64 = 0
        var current: (Int64, Int64)?
        for s in spans.sorted(by: { $0.0 < $1.0 }) {
            if let c = current, s.0 <= c.1 {
                current = (c.0, max(c.1, s.1))
            } else {
                if let c = current { total += c.1 - c.0 }
                current = s
            }
        }
        if let c = current { total += c.1 - c.0 }
        return total
    }

    /// The action in force at `t` and the categories behind it.
    func action(at t: Int64) -> (DataAction, UInt8) {
        var segment = 0
        return action(at: t, segment: &segment)
    }

    /// The same, starting from `segment`, the index of the segment found for an earlier time
    /// (0 at first), which it then sets to `t`'s: a vehicle's rows come in time order, so its
    /// next row is nearly always in the same segment or the next, and the binary search runs
    /// only when it is not. Any starting index gives the same answer.
    @inline(__always)
    func action(at t: Int64, segment: inout Int) -> (DataAction, UInt8) {
        let n = times.count
        guard n > 0, t >= times[0] else { return (.none, 0) }
        // The last segment starting at or before `t`.
        func starts(_ k: Int) -> Bool { k >= 0 && k < n && times[k] <= t && (k + 1 == n || t < times[k + 1]) }
        var lo = segment
        if !starts(lo) {
            lo += 1
            if !starts(lo) {
                lo = 0
                var hi = n
                while hi - lo > 1 {
                    let mid = (lo + hi) >> 1
                    if times[mid] <= t { lo = mid } else { hi = mid }
                }
            }
        }
        segment = lo
        return (actions[lo], categories[lo])
    }
}

/// What a vehicle's timeline needs of one of its directives (not a `fix.rejected` one): a few
/// bytes, where the directive with its texts and lists takes several hundred. The replay keeps
/// these per vehicle and sends the directives themselves, as their lines, to the workers' line
/// stores (`DirectiveStore`). A value.
struct TimelineEvent {
    var kind: Directive.Kind
    /// `VehicleTimeline.mask` of the directive's categories.
    var categories: UInt8
    var effectiveAt: Int64
    var precisionMeters: Double?

    init(_ d: Directive) {
        self.init(
            kind: d.kind, categories: VehicleTimeline.mask(d.categories), effectiveAt: d.effectiveAt.millisecondsSinceEpoch,
            precisionMeters: d.precisionMeters)
    }

    init(kind: Directive.Kind, categories: UInt8, effectiveAt: Int64, precisionMeters: Double? = nil) {
        self.kind = kind
        self.categories = categories
        self.effectiveAt = effectiveAt
        self.precisionMeters = precisionMeters
    }

    /// The data action a data directive begins or ends.
    var dataAction: DataAction? {
        switch kind {
        case .dataDropBegin, .dataDropEnd: .drop
        case .dataLocalOnlyBegin, .dataLocalOnlyEnd: .localOnly
        case .dataCoarsenBegin, .dataCoarsenEnd: .coarsen(meters: precisionMeters ?? 0)
        default: nil
        }
    }
}

extension Category {
    /// The category's place in `Category.allCases` (a bit in the replay's category masks).
    var position: Int {
        switch self {
        case .military: 0
        case .government: 1
        case .defenseIndustry: 2
        case .custom: 3
        }
    }
}

extension Directive.Kind {
    var isBegin: Bool {
        switch self {
        case .dataDropBegin, .dataLocalOnlyBegin, .dataCoarsenBegin, .cameraDisable: true
        default: false
        }
    }
}
