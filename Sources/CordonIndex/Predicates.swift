#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Exact geometric predicates on doubles: the sign of the orientation determinant is always
/// right, whatever the rounding (a filtered evaluation with Shewchuk's error bound, then an
/// exact sum of FMA-split products). Stateless; `Sendable`.
@usableFromInline
enum Predicates {
    /// (3 + 16ε)ε with ε = 2⁻⁵³: Shewchuk's bound for the filtered orientation.
    @usableFromInline static let orientErrorBound = (3.0 + 16.0 * 0x1p-53) * 0x1p-53

    /// Sign of (b − a) × (c − a): +1 when a, b, c turn counter-clockwise, −1 clockwise, 0 collinear.
    @inlinable @inline(__always)
    static func orientation(_ ax: Double, _ ay: Double, _ bx: Double, _ by: Double, _ cx: Double, _ cy: Double) -> Int {
        let (det, bound) = filteredOrientation(ax, ay, bx, by, cx, cy)
        if det > bound { return 1 }
        if -det > bound { return -1 }
        return exactOrientation(ax, ay, bx, by, cx, cy)
    }

    /// The orientation determinant in floating point and Shewchuk's bound on its error: its
    /// sign is the true sign whenever `abs(det) > bound`.
    @inlinable @inline(__always)
    static func filteredOrientation(
        _ ax: Double, _ ay: Double, _ bx: Double, _ by: Double, _ cx: Double, _ cy: Double
    ) -> (det: Double, bound: Double) {
        let left = (ax - cx) * (by - cy)
        let right = (ay - cy) * (bx - cx)
        return (left - right, orientErrorBound * (abs(left) + abs(right)))
    }

    /// Relative error bounds for signs computed from float32 offsets (docs/index.md): an offset
    /// differs from the true difference by at most 2⁻²⁴ of it, a product of two by about 2⁻²³;
    /// each bound leaves a factor of two over the error it covers, and `tinyBound` covers
    /// underflow.
    @usableFromInline static let sideBound = 0x1p-23
    @usableFromInline static let referenceBound = 0x1p-22
    @usableFromInline static let pointBound = 0x1p-21
    @usableFromInline static let tinyBound = 0x1p-1000

    /// Which side of line R→P vertex v lies on, from v's float32 offsets (u, w) from R and
    /// P's offsets (dx, dy) = fl(P − R): 1 when left, 0 when right. Sets `unsure` to 1 when
    /// the sign is not proven (then the result means nothing). `bound` is at least
    /// `sideBound · (|dx·w| + |dy·u|) + tinyBound`, e.g. from the leaf's largest offset.
    @inlinable @inline(__always)
    static func side(_ u: Double, _ w: Double, _ dx: Double, _ dy: Double, bound: Double, unsure: inout UInt64) -> UInt64 {
        let det = dx * w - dy * u
        unsure |= abs(det) > bound ? 0 : 1
        return det > 0 ? 1 : 0
    }

    /// Whether R (the origin of the offsets) and P lie strictly on different sides of line a→b,
    /// with a, b as float32 offsets from R: `separated` 1 when proven, `unsure` 1 when the filter
    /// cannot prove either sign.
    @inlinable @inline(__always)
    static func separates(
        _ au: Double, _ aw: Double, _ bu: Double, _ bw: Double, _ dx: Double, _ dy: Double
    ) -> (separated: UInt64, unsure: UInt64) {
        let r1 = au * bw, r2 = aw * bu
        let tr = r1 - r2  // orientation of R against a→b
        let boundR = referenceBound * (abs(r1) + abs(r2)) + tinyBound
        let x1 = au - dx, y1 = aw - dy, x2 = bu - dx, y2 = bw - dy
        let tp = x1 * y2 - y1 * x2  // orientation of P against a→b
        let boundP = pointBound * ((abs(au) + abs(dx)) * (abs(bw) + abs(dy)) + (abs(aw) + abs(dy)) * (abs(bu) + abs(dx))) + tinyBound
        let sure = abs(tr) > boundR && abs(tp) > boundP
        return ((tr > 0) != (tp > 0) ? 1 : 0, sure ? 0 : 1)
    }

    /// True when segment a–b lies wholly outside the box [loX, hiX] × [loY, hiY] on one side.
    @inlinable @inline(__always)
    static func outsideBox(
        _ ax: Double, _ ay: Double, _ bx: Double, _ by: Double, _ loX: Double, _ hiX: Double, _ loY: Double, _ hiY: Double
    ) -> Bool {
        max(ax, bx) < loX || min(ax, bx) > hiX || max(ay, by) < loY || min(ay, by) > hiY
    }

    /// The exact sign: the determinant expanded into six products, each split exactly into two
    /// doubles with FMA, summed exactly (Shewchuk's grow-expansion).
    @usableFromInline @inline(never)
    static func exactOrientation(_ ax: Double, _ ay: Double, _ bx: Double, _ by: Double, _ cx: Double, _ cy: Double) -> Int {
        // (ax−cx)(by−cy) − (ay−cy)(bx−cx) = ax·by − ax·cy − cx·by − ay·bx + ay·cx + cy·bx
        var expansion = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
        var count = 0
        withUnsafeMutableBytes(of: &expansion) { raw in
            let e = raw.bindMemory(to: Double.self)
            func add(_ x: Double) {
                // Grow-expansion: e stays non-overlapping, increasing magnitude, zeros dropped.
                var q = x
                var out = 0
                for i in 0..<count {
                    let s = q + e[i]
                    let bv = s - q
                    let err = (q - (s - bv)) + (e[i] - bv)
                    q = s
                    if err != 0 { e[out] = err; out += 1 }
                }
                if q != 0 { e[out] = q; out += 1 }
                count = out
            }
            func product(_ x: Double, _ y: Double) {
                let p = x * y
                add(fma(x, y, -p))
                add(p)
            }
            product(ax, by)
            product(-ax, cy)
            product(-cx, by)
            product(-ay, bx)
            product(ay, cx)
            product(cy, bx)
        }
        guard count > 0 else { return 0 }
        let top = withUnsafeBytes(of: &expansion) { $0.bindMemory(to: Double.self)[count - 1] }
        return top > 0 ? 1 : (top < 0 ? -1 : 0)
    }

    /// True when p lies on the closed segment ab (exactly).
    @inlinable @inline(__always)
    static func onSegment(_ px: Double, _ py: Double, _ ax: Double, _ ay: Double, _ bx: Double, _ by: Double) -> Bool {
        guard px >= min(ax, bx), px <= max(ax, bx), py >= min(ay, by), py <= max(ay, by) else { return false }
        return orientation(ax, ay, bx, by, px, py) == 0
    }

    /// Whether segment r→p crosses edge a–b, for the parity walk from a reference point r to p.
    ///
    /// Preconditions: neither r nor p lies on segment ab (callers test p first; reference points
    /// are chosen off every edge). Vertices exactly on line rp are treated as lying on its
    /// positive side, a consistent symbolic perturbation: an edge chain through a vertex on rp
    /// is counted once if it passes through and twice (or not at all) if it only touches.
    @inlinable @inline(__always)
    static func crosses(_ rx: Double, _ ry: Double, _ px: Double, _ py: Double,
                        _ ax: Double, _ ay: Double, _ bx: Double, _ by: Double) -> Bool {
        let sa = orientation(rx, ry, px, py, ax, ay) >= 0
        let sb = orientation(rx, ry, px, py, bx, by) >= 0
        guard sa != sb else { return false }
        let tr = orientation(ax, ay, bx, by, rx, ry)
        let tp = orientation(ax, ay, bx, by, px, py)
        return (tr > 0 && tp < 0) || (tr < 0 && tp > 0)
    }
}
