/// Recall at 1, 5 and 10 with mean and median rank for one retrieval direction,
/// as open_clip's `get_clip_metrics` reports them.
///
/// From the 1-based ranks r of the first correct candidate per query:
/// `r1/r5/r10` = fraction with r <= K (open_clip's `np.mean(preds < k)` on
/// 0-based ranks), `mean_rank` = mean(r), `median_rank` = floor(median(r - 1)) + 1
/// (open_clip's `np.floor(np.median(preds)) + 1`; always a whole number; an even
/// count takes the midpoint of the two middle ranks before flooring).
/// `count` is the number of queries. With no queries every value is 0.
public struct RetrievalReport: Codable, Sendable, Equatable {
    public var r1: Double
    public var r5: Double
    public var r10: Double
    public var meanRank: Double
    public var medianRank: Double
    public var count: Int

    enum CodingKeys: String, CodingKey {
        case r1, r5, r10, count
        case meanRank = "mean_rank"
        case medianRank = "median_rank"
    }

    /// The report for 1-based `ranks` (each >= 1; traps otherwise).
    public init(ranks: [Int]) {
        precondition(ranks.allSatisfy { $0 >= 1 }, "RetrievalReport: ranks are 1-based, got \(ranks.filter { $0 < 1 }.prefix(3))")
        count = ranks.count
        guard !ranks.isEmpty else {
            (r1, r5, r10, meanRank, medianRank) = (0, 0, 0, 0, 0)
            return
        }
        let n = Double(ranks.count)
        func recall(_ k: Int) -> Double { Double(ranks.count { $0 <= k }) / n }
        (r1, r5, r10) = (recall(1), recall(5), recall(10))
        meanRank = Double(ranks.reduce(0, +)) / n
        let zeroBased = ranks.map { $0 - 1 }.sorted()
        let mid = zeroBased.count / 2
        let median = zeroBased.count % 2 == 1
            ? Double(zeroBased[mid]) : (Double(zeroBased[mid - 1]) + Double(zeroBased[mid])) / 2
        medianRank = median.rounded(.down) + 1
    }

    /// The values under open_clip's names: `<name>_R@1`, `<name>_R@5`, `<name>_R@10`,
    /// `<name>_mean_rank`, `<name>_median_rank`.
    public func openCLIPMetrics(name: String) -> [String: Double] {
        [
            "\(name)_R@1": r1, "\(name)_R@5": r5, "\(name)_R@10": r10,
            "\(name)_mean_rank": meanRank, "\(name)_median_rank": medianRank,
        ]
    }
}

/// Retrieval in both directions between two embedding sets A and B (images and
/// captions, say): A queries ranking B's items, and B queries ranking A's.
public struct PairedRetrievalReport: Codable, Sendable, Equatable {
    /// Each item of A as a query over B.
    public var aToB: RetrievalReport
    /// Each item of B that is the positive of some A item, as a query over A.
    public var bToA: RetrievalReport

    enum CodingKeys: String, CodingKey {
        case aToB = "a_to_b"
        case bToA = "b_to_a"
    }

    public init(aToB: RetrievalReport, bToA: RetrievalReport) {
        self.aToB = aToB
        self.bToA = bToA
    }

    /// Both directions under open_clip's names; with the defaults, exactly the keys
    /// of `get_clip_metrics`: `image_to_text_R@1` ... `text_to_image_median_rank`.
    public func openCLIPMetrics(a: String = "image", b: String = "text") -> [String: Double] {
        aToB.openCLIPMetrics(name: "\(a)_to_\(b)").merging(bToA.openCLIPMetrics(name: "\(b)_to_\(a)")) { x, _ in x }
    }
}
