import Foundation

/// A small antialiased 2-D rasterizer: a `width` x `height` pixel image onto
/// which a world rectangle `x` x `y` (y up) is mapped, the top-left pixel
/// corner at `(x.lowerBound, y.upperBound)`.
///
/// Fills are opaque colours blended by coverage: each pixel takes 4 x 4 samples
/// at offsets (k + 0.5) / 4 of its side, and a shape covering n of them moves
/// the pixel n / 16 of the way to its colour. Coverage is computed span by span
/// (each sample row of a shape is one x interval), visiting only the pixels of
/// the shape's bounding box, so a 64 x 64 scene draws in microseconds.
/// Colours are `SIMD3<UInt8>` (R, G, B); blending runs in Float and `image`
/// rounds back to bytes.
public struct Canvas: Sendable {
    public let width: Int
    public let height: Int
    public let xRange: ClosedRange<Float>
    public let yRange: ClosedRange<Float>
    /// Pixels per world unit along x and along y.
    private let scale: SIMD2<Float>
    /// [height, width, 3], 0...255.
    private var buffer: [Float]

    static let samplesPerSide = 4
    static let maxSide = 4096

    /// A canvas cleared to `background`; traps on an empty world rectangle or a
    /// side outside 1...4096 (callers bound sizes before they get here).
    public init(width: Int, height: Int, x: ClosedRange<Float>, y: ClosedRange<Float>,
                background: SIMD3<UInt8> = SIMD3(255, 255, 255)) {
        precondition((1...Self.maxSide).contains(width) && (1...Self.maxSide).contains(height),
                     "Canvas: size \(width)x\(height) outside 1...\(Self.maxSide)")
        precondition(x.upperBound > x.lowerBound && y.upperBound > y.lowerBound,
                     "Canvas: empty world rectangle \(x) x \(y)")
        (self.width, self.height, xRange, yRange) = (width, height, x, y)
        scale = SIMD2(Float(width) / (x.upperBound - x.lowerBound), Float(height) / (y.upperBound - y.lowerBound))
        buffer = [Float](repeating: 0, count: width * height * 3)
        clear(background)
    }

    /// Paints every pixel `color`.
    public mutating func clear(_ color: SIMD3<UInt8>) {
        let c = SIMD3<Float>(color)
        buffer.withUnsafeMutableBufferPointer { b in
            for p in 0..<(width * height) { (b[3 * p], b[3 * p + 1], b[3 * p + 2]) = (c.x, c.y, c.z) }
        }
    }

    /// Fills the disc of `radius` (world units) around `center`.
    public mutating func fill(circle center: SIMD2<Float>, radius: Float, color: SIMD3<UInt8>) {
        guard radius > 0 else { return }
        let r2 = radius * radius
        fillSpans(yMin: center.y - radius, yMax: center.y + radius, xMin: center.x - radius,
                  xMax: center.x + radius, color: color) { y in
            let dy = y - center.y
            guard dy * dy <= r2 else { return nil }
            let h = (r2 - dy * dy).squareRoot()
            return (center.x - h, center.x + h)
        }
    }

    /// Fills a convex polygon given by its vertices in either winding order.
    /// Fewer than 3 vertices or zero area draw nothing; a non-convex polygon
    /// draws the intersection of its edges' half-planes.
    public mutating func fill(polygon vertices: [SIMD2<Float>], color: SIMD3<UInt8>) {
        let n = vertices.count
        guard n >= 3 else { return }
        var twiceArea: Float = 0
        for i in 0..<n {
            let a = vertices[i], b = vertices[(i + 1) % n]
            twiceArea += a.x * b.y - b.x * a.y
        }
        guard twiceArea != 0, twiceArea.isFinite else { return }
        let orientation: Float = twiceArea > 0 ? 1 : -1
        var lower = vertices[0], upper = vertices[0]
        for v in vertices { lower = pointwiseMin(lower, v); upper = pointwiseMax(upper, v) }
        fillSpans(yMin: lower.y, yMax: upper.y, xMin: lower.x, xMax: upper.x, color: color) { y in
            // Inside edge a -> b (counter-clockwise): (b - a) x (p - a) >= 0, solved for p.x on this row.
            var lo = -Float.infinity, hi = Float.infinity
            for i in 0..<n {
                let a = vertices[i], b = vertices[(i + 1) % n]
                let ex = (b.x - a.x) * orientation, ey = (b.y - a.y) * orientation
                let rhs = ex * (y - a.y)
                if ey > 0 { hi = min(hi, a.x + rhs / ey) }
                else if ey < 0 { lo = max(lo, a.x + rhs / ey) }
                else if rhs < 0 { return nil }
            }
            return lo <= hi ? (lo, hi) : nil
        }
    }

    /// Fills the axis-aligned rectangle with corners `lower` (min x, min y) and `upper`.
    public mutating func fill(rect lower: SIMD2<Float>, to upper: SIMD2<Float>, color: SIMD3<UInt8>) {
        guard upper.x > lower.x, upper.y > lower.y else { return }
        fillSpans(yMin: lower.y, yMax: upper.y, xMin: lower.x, xMax: upper.x, color: color) { y in
            y >= lower.y && y <= upper.y ? (lower.x, upper.x) : nil
        }
    }

    /// The canvas as bytes, each channel rounded to the nearest integer.
    public var image: RGBImage {
        let bytes = [UInt8](unsafeUninitializedCapacity: buffer.count) { out, count in
            buffer.withUnsafeBufferPointer { b in
                // Clamped values are non-negative, so truncating v + 0.5 rounds half up (no libm call).
                for i in b.indices { out[i] = UInt8(truncatingIfNeeded: Int32(min(max(b[i], 0), 255) + 0.5)) }
            }
            count = buffer.count
        }
        return RGBImage(width: width, height: height, pixels: bytes)
    }

    /// Blends `color` into the pixels of the world box, with coverage from
    /// `span(y)`: the closed x interval the shape covers on the sample row at
    /// world height y, or nil when the row misses it.
    private mutating func fillSpans(yMin: Float, yMax: Float, xMin: Float, xMax: Float, color: SIMD3<UInt8>,
                                    span: (Float) -> (Float, Float)?) {
        let s = Self.samplesPerSide
        let ss = Float(s)
        // Pixel box of the shape, clipped to the image.
        let column0 = max(0, Int(((xMin - xRange.lowerBound) * scale.x).rounded(.down)))
        let column1 = min(width - 1, Int(((xMax - xRange.lowerBound) * scale.x).rounded(.up)) - 1)
        let row0 = max(0, Int(((yRange.upperBound - yMax) * scale.y).rounded(.down)))
        let row1 = min(height - 1, Int(((yRange.upperBound - yMin) * scale.y).rounded(.up)) - 1)
        guard column0 <= column1, row0 <= row1 else { return }
        let c = SIMD3<Float>(color)
        let full = Float(s * s)
        let (w, xLow, yTop, sc) = (width, xRange.lowerBound, yRange.upperBound, scale)
        buffer.withUnsafeMutableBufferPointer { b in
            // First and last sample column (global sample index, 4 per pixel) covered on each sample row.
            var first = [Int](repeating: 0, count: s), last = [Int](repeating: -1, count: s)
            for row in row0...row1 {
                var any = false
                for k in 0..<s {
                    first[k] = 0; last[k] = -1
                    let y = yTop - (Float(row) + (Float(k) + 0.5) / ss) / sc.y
                    guard let (lo, hi) = span(y), lo <= hi else { continue }
                    // Sample n sits at pixel-space x = (n + 0.5) / 4; keep those inside [lo, hi].
                    let n0 = (ss * (lo - xLow) * sc.x - 0.5).rounded(.up)
                    let n1 = (ss * (hi - xLow) * sc.x - 0.5).rounded(.down)
                    let lowest = Float(s * column0), highest = Float(s * column1 + s - 1)
                    guard n0 <= highest, n1 >= lowest, n0 <= n1 else { continue }
                    first[k] = Int(max(n0, lowest)); last[k] = Int(min(n1, highest))
                    any = true
                }
                guard any else { continue }
                for column in column0...column1 {
                    let a = s * column, z = a + s - 1
                    var count = 0
                    for k in 0..<s where last[k] >= a && first[k] <= z {
                        count += min(z, last[k]) - max(a, first[k]) + 1
                    }
                    guard count > 0 else { continue }
                    let alpha = Float(count) / full
                    let p = 3 * (row * w + column)
                    b[p] += (c.x - b[p]) * alpha
                    b[p + 1] += (c.y - b[p + 1]) * alpha
                    b[p + 2] += (c.z - b[p + 2]) * alpha
                }
            }
        }
    }
}
