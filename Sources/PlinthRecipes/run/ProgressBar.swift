import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A one-line progress display for training loops and other long jobs:
///
///     step 1200/5000 [##........] 24% | loss 1.234 | scale 23.1 | 812 items/s | ETA 4m12s
///
/// The caller reports the step, its own ordered fields (already formatted) and
/// the items processed since the previous report; the bar adds the rate and
/// the ETA, both from an exponential moving average of the time per step
/// (tqdm's smoothing). With `total` nil the bar, percentage and ETA are left out.
///
/// On a terminal the line is redrawn in place (`\r`, the line, then clear to
/// end of line) at most once per `redrawInterval`; in a log (CI, a pipe) a
/// plain line is printed every `lineEverySteps` steps or `lineEverySeconds`
/// seconds, whichever comes first, so logs stay readable. ``finish()`` ends
/// the line and reports the elapsed time in place of the ETA.
///
/// Not thread-safe: drive it from the training loop's thread.
public final class ProgressBar {
    /// How the line reaches its sink.
    public enum Style: Sendable, Equatable {
        /// Redraw one line in place, throttled to `redrawInterval`.
        case redraw
        /// Print a plain line every `lineEverySteps` steps or `lineEverySeconds` seconds.
        case lines

        /// `.redraw` when standard error is a terminal (and `TERM` is not `dumb`), else `.lines`.
        public static var automatic: Style {
            isatty(STDERR_FILENO) != 0 && ProcessInfo.processInfo.environment["TERM"] != "dumb" ? .redraw : .lines
        }
    }

    public let total: Int?
    public let label: String
    public let unit: String
    public let style: Style
    public let barWidth: Int
    public let redrawInterval: Double
    public let lineEverySteps: Int
    public let lineEverySeconds: Double
    public let smoothing: Double

    private let sink: (String) -> Void
    private let clock: () -> Double
    private let startTime: Double

    private var step: Int
    private var fields: [(String, String)] = []
    private var lastUpdateTime: Double
    private var secondsPerStep: Double?  // moving averages, seeded by the first sample
    private var itemsPerStep: Double?
    private var lastOutputTime: Double?
    private var lastPrintedStep: Int?
    private var lineVisible = false  // .redraw: an unterminated line is on screen
    private var finished = false

    /// Creates a bar; the clock starts now.
    ///
    /// - Parameters:
    ///   - total: the last step, or nil when unknown.
    ///   - start: the step already reached (a resumed run's step); rates count from here.
    ///   - label: the word before the step count.
    ///   - unit: what `items` counts, shown as `<rate> <unit>/s`.
    ///   - smoothing: the moving average's weight of the newest step time, in (0, 1].
    ///   - sink: receives the exact text to show, control characters included;
    ///     standard error by default.
    ///   - clock: monotonic seconds; ``monotonicSeconds()`` by default.
    public init(total: Int?, start: Int = 0, label: String = "step", unit: String = "items",
                style: Style = .automatic, barWidth: Int = 10, redrawInterval: Double = 0.25,
                lineEverySteps: Int = 100, lineEverySeconds: Double = 10, smoothing: Double = 0.1,
                sink: @escaping (String) -> Void = ProgressBar.writeToStandardError,
                clock: @escaping () -> Double = ProgressBar.monotonicSeconds) {
        precondition(total.map { $0 >= 0 } ?? true, "ProgressBar total must be >= 0, got \(total!)")
        precondition(barWidth >= 0 && lineEverySteps > 0, "ProgressBar needs barWidth >= 0 and lineEverySteps > 0")
        precondition(smoothing > 0 && smoothing <= 1, "ProgressBar smoothing must be in (0, 1], got \(smoothing)")
        self.total = total
        self.label = label
        self.unit = unit
        self.style = style
        self.barWidth = barWidth
        self.redrawInterval = redrawInterval
        self.lineEverySteps = lineEverySteps
        self.lineEverySeconds = lineEverySeconds
        self.smoothing = smoothing
        self.sink = sink
        self.clock = clock
        self.step = start
        startTime = clock()
        lastUpdateTime = startTime
    }

    deinit {
        if lineVisible && !finished { sink("\n") }  // keep a following error message off the bar's line
    }

    /// Reports that `step` is done, with `items` processed since the previous
    /// report (for example the batch size) and the fields to show, in order.
    /// Shows the line if it is due.
    public func update(step: Int, items: Int = 0, fields: [(String, String)] = []) {
        precondition(!finished, "ProgressBar.update(step: \(step)) after finish()")
        let now = clock()
        let steps = step - self.step
        if steps > 0 {
            let seconds = max(now - lastUpdateTime, 0) / Double(steps)
            let perStep = Double(items) / Double(steps)
            secondsPerStep = secondsPerStep.map { $0 + smoothing * (seconds - $0) } ?? seconds
            itemsPerStep = itemsPerStep.map { $0 + smoothing * (perStep - $0) } ?? perStep
            lastUpdateTime = now
        }
        self.step = step
        self.fields = fields
        guard isDue(now) else { return }
        lastOutputTime = now
        switch style {
        case .redraw:
            sink("\r" + render(final: false) + Self.clearToEndOfLine)
            lineVisible = true
        case .lines:
            sink(render(final: false) + "\n")
            lastPrintedStep = step
        }
    }

    /// Prints `text` on its own line, above the bar when the bar is being redrawn.
    public func message(_ text: String) {
        guard style == .redraw, lineVisible, !finished else { return sink(text + "\n") }
        sink("\r" + Self.clearToEndOfLine + text + "\n\r" + render(final: false) + Self.clearToEndOfLine)
    }

    /// Shows the last reported state with the elapsed time and ends the line.
    /// Does nothing if no step was reported; later calls do nothing.
    public func finish() {
        guard !finished else { return }
        finished = true
        guard lastOutputTime != nil else { return }
        switch style {
        case .redraw: sink("\r" + render(final: true) + Self.clearToEndOfLine + "\n")
        case .lines: sink(render(final: true) + "\n")
        }
        lineVisible = false
    }

    /// Items per second from the moving averages; nil before the first timed
    /// step or when no items are counted.
    public var itemsPerSecond: Double? {
        guard let secondsPerStep, let itemsPerStep, secondsPerStep > 0, itemsPerStep > 0 else { return nil }
        return itemsPerStep / secondsPerStep
    }

    /// Estimated seconds to `total`; nil when the total or the step time is unknown.
    public var secondsRemaining: Double? {
        guard let total, let secondsPerStep else { return nil }
        return Double(max(total - step, 0)) * secondsPerStep
    }

    /// The line for the current state, without control characters.
    public func render(final: Bool = false) -> String {
        var head = "\(label) \(step)"
        if let total {
            let done = min(max(step, 0), total)
            let percent = total > 0 ? done * 100 / total : 100
            let filled = total > 0 ? done * barWidth / total : barWidth
            head += "/\(total)"
            if barWidth > 0 {
                head += " [" + String(repeating: "#", count: filled) + String(repeating: ".", count: barWidth - filled) + "]"
            }
            head += " \(percent)%"
        }
        var parts = [head]
        parts += fields.map { name, value in name.isEmpty ? value : "\(name) \(value)" }
        if let rate = itemsPerSecond { parts.append("\(Self.formatRate(rate)) \(unit)/s") }
        if final {
            parts.append("elapsed " + Self.formatDuration(clock() - startTime))
        } else if let eta = secondsRemaining {
            parts.append("ETA " + Self.formatDuration(eta))
        }
        return parts.joined(separator: " | ")
    }

    private func isDue(_ now: Double) -> Bool {
        guard let lastOutputTime else { return true }
        switch style {
        case .redraw:
            return now - lastOutputTime >= redrawInterval || step == total
        case .lines:
            let last = lastPrintedStep ?? step
            return step / lineEverySteps != last / lineEverySteps || now - lastOutputTime >= lineEverySeconds
        }
    }

    private static let clearToEndOfLine = "\u{1B}[K"

    /// Writes `text` to standard error, unbuffered.
    public static func writeToStandardError(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Seconds on the monotonic clock (unaffected by wall-clock changes).
    public static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) * 1e-9
    }
}
