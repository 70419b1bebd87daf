import Foundation

/// Resident memory, measured as benchmarks/torch/block_bench.py does:
/// baseline VmRSS before the model exists, the high-water mark reset through
/// /proc/self/clear_refs after warm-up, peak = VmHWM - baseline.
enum Memory {
    static func statusKiB(_ field: String) -> Int {
        let text = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]) ?? 0
        }
        return 0
    }

    static var rssKiB: Int { statusKiB("VmRSS") }
    static var peakKiB: Int { statusKiB("VmHWM") }

    /// Resets the high-water mark to the current RSS; false if the kernel refuses.
    static func resetPeak() -> Bool {
        guard let f = fopen("/proc/self/clear_refs", "w") else { return false }
        defer { fclose(f) }
        return fputs("5", f) >= 0 && fflush(f) == 0
    }
}

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}
