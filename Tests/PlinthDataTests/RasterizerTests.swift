@testable import PlinthData
import XCTest

/// The simulation rasterizer: coverage, convex polygons and untouched pixels.
final class RasterizerTests: XCTestCase {
    /// Covered area in world units: the summed coverage of a white-on-black canvas times the pixel area.
    private func coveredArea(_ canvas: Canvas) -> Double {
        let image = canvas.image
        let pixelArea = Double(canvas.xRange.upperBound - canvas.xRange.lowerBound) / Double(canvas.width)
            * Double(canvas.yRange.upperBound - canvas.yRange.lowerBound) / Double(canvas.height)
        let red = stride(from: 0, to: image.pixels.count, by: 3).reduce(0.0) { $0 + Double(image.pixels[$1]) / 255 }
        return red * pixelArea
    }

    func testCircleCoverageApproximatesItsArea() {
        for (radius, center) in [(Float(0.5), SIMD2<Float>(0.1, -0.05)), (0.13, SIMD2(-0.6, 0.7)), (0.07, SIMD2(0.33, 0.21))] {
            var canvas = Canvas(width: 64, height: 64, x: -1...1, y: -1...1, background: SIMD3(0, 0, 0))
            canvas.fill(circle: center, radius: radius, color: SIMD3(255, 255, 255))
            let area = Double.pi * Double(radius * radius)
            // 16 samples per pixel: the error is a fraction of the boundary pixels' area.
            XCTAssertEqual(coveredArea(canvas), area, accuracy: 0.02 * area + 2e-4, "radius \(radius)")
        }
    }

    func testPolygonFillMatchesAreaAndIgnoresWinding() {
        let triangle: [SIMD2<Float>] = [SIMD2(-0.7, -0.6), SIMD2(0.8, -0.4), SIMD2(0.1, 0.9)]
        var ccw = Canvas(width: 48, height: 48, x: -1...1, y: -1...1, background: SIMD3(0, 0, 0))
        ccw.fill(polygon: triangle, color: SIMD3(255, 255, 255))
        var cw = Canvas(width: 48, height: 48, x: -1...1, y: -1...1, background: SIMD3(0, 0, 0))
        cw.fill(polygon: triangle.reversed(), color: SIMD3(255, 255, 255))
        XCTAssertEqual(ccw.image, cw.image)
        let area = 0.5 * abs(Double((0.8 + 0.7) * (0.9 + 0.6) - (0.1 + 0.7) * (-0.4 + 0.6)))
        XCTAssertEqual(coveredArea(ccw), area, accuracy: 0.01 * area)
        // The centroid is solid, a corner of the image untouched.
        let image = ccw.image
        XCTAssertEqual(image[25, 24], SIMD3(255, 255, 255))  // centroid (0.07, -0.03)
        XCTAssertEqual(image[0, 0], SIMD3(0, 0, 0))
    }

    func testPixelAlignedRectangleIsExactAndOutsideIsUntouched() {
        var canvas = Canvas(width: 8, height: 4, x: 0...8, y: 0...4, background: SIMD3(10, 20, 30))
        canvas.fill(rect: SIMD2(2, 1), to: SIMD2(5, 3), color: SIMD3(200, 100, 50))
        let image = canvas.image
        for y in 0..<4 {
            for x in 0..<8 {
                // Rows count from the top: world y in [1, 3] is rows 1 and 2.
                let inside = (2..<5).contains(x) && (1..<3).contains(y)
                XCTAssertEqual(image[x, y], inside ? SIMD3(200, 100, 50) : SIMD3(10, 20, 30), "pixel (\(x), \(y))")
            }
        }
    }

    func testCircleTouchesOnlyItsBoundingBoxAndBlendsEdges() {
        var canvas = Canvas(width: 32, height: 32, x: -1...1, y: -1...1, background: SIMD3(255, 255, 255))
        canvas.fill(circle: SIMD2(0.5, 0.5), radius: 0.2, color: SIMD3(0, 0, 0))
        let image = canvas.image
        // The box x, y in [0.3, 0.7] is columns 20...27 and rows 4...11.
        var partial = 0
        for y in 0..<32 {
            for x in 0..<32 {
                let p = image[x, y]
                if !(20...27).contains(x) || !(4...11).contains(y) { XCTAssertEqual(p, SIMD3(255, 255, 255)) }
                if p.x != 0 && p.x != 255 { partial += 1 }
            }
        }
        XCTAssertGreaterThan(partial, 8, "antialiased edge pixels")
        XCTAssertEqual(image[24, 8], SIMD3(0, 0, 0))
    }

    func testShapesOffTheCanvasAreClippedAndDegenerateOnesDrawNothing() {
        var canvas = Canvas(width: 16, height: 16, x: -1...1, y: -1...1, background: SIMD3(1, 2, 3))
        let blank = canvas.image
        canvas.fill(circle: SIMD2(5, 5), radius: 1, color: SIMD3(255, 0, 0))
        canvas.fill(polygon: [SIMD2(0, 0), SIMD2(1, 1)], color: SIMD3(255, 0, 0))
        canvas.fill(polygon: [SIMD2(0, 0), SIMD2(1, 1), SIMD2(2, 2)], color: SIMD3(255, 0, 0))
        canvas.fill(circle: SIMD2(0, 0), radius: 0, color: SIMD3(255, 0, 0))
        XCTAssertEqual(canvas.image, blank)
        canvas.fill(circle: SIMD2(-1, 1), radius: 0.3, color: SIMD3(255, 0, 0))
        XCTAssertEqual(canvas.image[0, 0], SIMD3(255, 0, 0))
        XCTAssertEqual(canvas.image[15, 15], SIMD3(1, 2, 3))
    }
}
