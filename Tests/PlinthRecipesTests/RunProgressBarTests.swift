import Foundation
import PlinthRecipes
import XCTest

/// ProgressBar: duration and rate formats, the line's layout, the moving
/// average, and both output styles' throttling, driven by a fake clock.
final class RunProgressBarTests: XCTestCase {
    /// A settable clock and a sink that records every write.
    final class Harness {
        var now = 0.0
        var writes: [String] = []

        func bar(total: Int?, start: Int = 0, style: ProgressBar.Style, smoothing: Double = 0.1) -> ProgressBar {
            ProgressBar(total: total, start: start, style: style, smoothing: smoothing,
                        sink: { self.writes.append($0) }, clock: { self.now })
        }

        /// The step numbers at the start of each plain line written.
        var printedSteps: [Int] {
            writes.compactMap { Int($0.dropFirst("step ".count).prefix { $0.isNumber }) }
        }
    }

    func testDurationFormat() {
        let cases: [(Double, String)] = [
            (0, "0s"), (0.4, "0s"), (42, "42s"), (59.6, "1m00s"), (252, "4m12s"), (605, "10m05s"),
            (3723, "1h02m03s"), (90_000, "25h00m00s"), (-1, "?"), (.infinity, "?"), (.nan, "?"),
        ]
        for (seconds, expected) in cases {
            XCTAssertEqual(ProgressBar.formatDuration(seconds), expected, "\(seconds) s")
        }
    }

    func testRateFormat() {
        let cases: [(Double, String)] = [
            (812.4, "812"), (99.96, "100"), (45.26, "45.3"), (9.996, "10.0"), (0.871, "0.87"), (0, "0.00"),
            (-3, "?"), (.nan, "?"),
        ]
        for (rate, expected) in cases {
            XCTAssertEqual(ProgressBar.formatRate(rate), expected, "rate \(rate)")
        }
    }

    func testLineLayout() {
        let harness = Harness()
        let bar = harness.bar(total: 5000, start: 1199, style: .lines)
        harness.now = 0.5
        bar.update(step: 1200, items: 406, fields: [("loss", "1.234"), ("scale", "23.1")])
        // 406 items in 0.5 s; 3800 steps left at 0.5 s each.
        XCTAssertEqual(harness.writes, ["step 1200/5000 [##........] 24% | loss 1.234 | scale 23.1 | 812 items/s | ETA 31m40s\n"])
    }

    func testLayoutWithoutTotalOrItems() {
        let harness = Harness()
        let bar = harness.bar(total: nil, style: .lines)
        harness.now = 1
        bar.update(step: 7, fields: [("loss", "2.5")])
        XCTAssertEqual(harness.writes, ["step 7 | loss 2.5\n"])
    }

    func testBarAndPercentAreExactAndClamped() {
        let harness = Harness()
        let bar = harness.bar(total: 100, style: .lines)
        XCTAssertTrue(bar.render().hasPrefix("step 0/100 [..........] 0%"))
        bar.update(step: 29)
        XCTAssertTrue(bar.render().hasPrefix("step 29/100 [##........] 29%"), bar.render())
        bar.update(step: 130)
        XCTAssertTrue(bar.render().hasPrefix("step 130/100 [##########] 100%"), bar.render())
        XCTAssertEqual(bar.secondsRemaining, 0)
    }

    func testMovingAverageOfStepTimes() throws {
        let harness = Harness()
        let bar = harness.bar(total: 10, style: .lines, smoothing: 0.5)
        harness.now = 1
        bar.update(step: 1, items: 8)  // 1 s per step: seeds the average
        harness.now = 3
        bar.update(step: 2, items: 8)  // 2 s per step: average 1.5
        XCTAssertEqual(try XCTUnwrap(bar.secondsRemaining), 8 * 1.5, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(bar.itemsPerSecond), 8 / 1.5, accuracy: 1e-12)
        harness.now = 5
        bar.update(step: 4, items: 16)  // two steps in one report: 1 s per step, average 1.25
        XCTAssertEqual(try XCTUnwrap(bar.secondsRemaining), 6 * 1.25, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(bar.itemsPerSecond), 8 / 1.25, accuracy: 1e-12)
    }

    func testRedrawIsThrottledAndInPlace() {
        let harness = Harness()
        let bar = harness.bar(total: 10, style: .redraw)
        for step in 1...10 {
            harness.now = Double(step) * 0.1
            bar.update(step: step, items: 1)
        }
        // First report, then whenever 0.25 s have passed, and always the last step.
        XCTAssertEqual(harness.writes.count, 4)
        for write in harness.writes {
            XCTAssertTrue(write.hasPrefix("\r") && write.hasSuffix("\u{1B}[K"), write.debugDescription)
            XCTAssertFalse(write.contains("\n"), write.debugDescription)
        }
        XCTAssertEqual(harness.writes.map { $0.dropFirst().prefix(while: { $0 != "/" }) }, ["step 1", "step 4", "step 7", "step 10"])

        bar.message("saved checkpoint")
        XCTAssertTrue(harness.writes.last!.hasPrefix("\r\u{1B}[Ksaved checkpoint\n\rstep 10/10"), harness.writes.last!.debugDescription)

        harness.now = 65
        bar.finish()
        XCTAssertTrue(harness.writes.last!.hasSuffix("| 10.0 items/s | elapsed 1m05s\u{1B}[K\n"), harness.writes.last!.debugDescription)
        let count = harness.writes.count
        bar.finish()
        XCTAssertEqual(harness.writes.count, count, "finish twice writes once")
    }

    func testPlainLinesEveryNStepsOrTenSeconds() {
        let harness = Harness()
        let bar = harness.bar(total: 1000, style: .lines)
        for step in 1...350 {
            harness.now = Double(step) * 0.01
            bar.update(step: step, items: 4)
        }
        XCTAssertEqual(harness.printedSteps, [1, 100, 200, 300], "every 100 steps while steps are fast")
        for step in 351...356 {
            harness.now = 3.5 + Double(step - 350) * 4
            bar.update(step: step, items: 4)
        }
        // The last line was at 3.0 s (step 300); steps now take 4 s, so 10 s pass at step 353 (15.5 s).
        XCTAssertEqual(harness.printedSteps, [1, 100, 200, 300, 353, 356])
        XCTAssertTrue(harness.writes.allSatisfy { $0.hasSuffix("\n") && !$0.contains("\r") })

        bar.message("evaluating")
        XCTAssertEqual(harness.writes.last, "evaluating\n")
        bar.finish()
        XCTAssertTrue(harness.writes.last!.hasPrefix("step 356/1000 [###.......] 35% | "), harness.writes.last!)
        XCTAssertTrue(harness.writes.last!.contains("| elapsed "), harness.writes.last!)
    }

    func testFinishWithoutUpdatesWritesNothing() {
        let harness = Harness()
        harness.bar(total: 10, style: .redraw).finish()
        XCTAssertEqual(harness.writes, [])
    }

    func testUnfinishedRedrawnLineIsEndedOnDeinit() {
        let harness = Harness()
        do {
            let bar = harness.bar(total: 10, style: .redraw)
            bar.update(step: 1)
        }
        XCTAssertEqual(harness.writes.last, "\n")
    }
}
