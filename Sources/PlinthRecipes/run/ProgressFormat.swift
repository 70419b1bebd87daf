import Foundation

extension ProgressBar {
    /// A duration rounded to whole seconds: `42s`, `4m05s`, `2h03m07s`
    /// (hours keep counting past a day); `?` for a negative or non-finite value.
    public static func formatDuration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        let total = Int(min(seconds, 1e12).rounded())
        let (hours, minutes, secs) = (total / 3600, total / 60 % 60, total % 60)
        func twoDigits(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        if hours > 0 { return "\(hours)h\(twoDigits(minutes))m\(twoDigits(secs))s" }
        if minutes > 0 { return "\(minutes)m\(twoDigits(secs))s" }
        return "\(secs)s"
    }

    /// A rate with three significant digits or more: `812`, `45.3`, `0.87`;
    /// `?` for a negative or non-finite value.
    public static func formatRate(_ rate: Double) -> String {
        guard rate.isFinite, rate >= 0 else { return "?" }
        if rate >= 99.5 { return String(Int(min(rate, 1e15).rounded())) }
        if rate >= 9.995 { return String(format: "%.1f", rate) }
        return String(format: "%.2f", rate)
    }
}
