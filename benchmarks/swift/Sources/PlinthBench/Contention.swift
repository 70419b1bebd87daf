import Foundation

/// CPU used by other processes, as benchmarks/torch/block_bench.py measures it:
/// busy jiffies of the whole machine (/proc/stat) minus this process's
/// utime + stime (/proc/self/stat), as a fraction of all CPU time.
struct Contention {
    private var busy: Double = 0, total: Double = 0, own: Double = 0

    static func sample() -> Contention {
        var c = Contention()
        if let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
           let line = stat.split(separator: "\n").first {
            let v = line.split(separator: " ").dropFirst().compactMap { Double($0) }
            c.total = v.reduce(0, +)
            c.busy = c.total - v[3] - (v.count > 4 ? v[4] : 0)  // minus idle and iowait
        }
        if let own = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
           let close = own.lastIndex(of: ")") {
            let f = own[own.index(after: close)...].split(separator: " ")
            c.own = (Double(f[11]) ?? 0) + (Double(f[12]) ?? 0)  // utime, stime (fields 14, 15)
        }
        return c
    }

    /// Fraction of the machine other processes used since `start`.
    func others(since start: Contention) -> Double {
        let total = self.total - start.total
        guard total > 0 else { return 0 }
        return max(0, (busy - start.busy) - (own - start.own)) / total
    }
}
