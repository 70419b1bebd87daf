import Foundation

/// CIDEr-D as coco-caption computes it: pycocoevalcap's `Cider().compute_score(gts, res)`
/// (cider/cider_scorer.py, n = 4, sigma = 6). coco-caption reports it as "CIDEr", but it is the
/// CIDEr-D variant of Vedantam et al. (2015): clipped tf-idf products, a Gaussian length
/// penalty, and a factor 10.
///
/// With N the number of items and n-grams of orders n = 1...4:
/// - df(g) = the number of items whose references contain g. Only the evaluated corpus counts,
///   so an item's score depends on the other items, and a one-item corpus scores 0 (every
///   weight is log(1) - log(1)).
/// - A caption's vector of order n: v(g) = count(g) * (log(N) - log(max(1, df(g)))).
/// - Candidate c against reference r, order n: sum_g min(v_c(g), v_r(g)) * v_r(g), divided by
///   |v_c| |v_r| when both are nonzero, times exp(-delta^2 / (2 sigma^2)); delta is the
///   difference of their bigram counts (pycocoevalcap's `length`), which equals the difference
///   of their token counts unless one caption is empty, when the product is 0 anyway.
/// - Item score = 10 * (mean over the 4 orders of the sum over references) / (number of references).
/// - Corpus score = mean of the item scores.
///
/// Item scores repeat pycocoevalcap's operations in its order; the corpus mean may differ from
/// it in the last bit (numpy sums pairwise).
public enum CIDErD {
    private static let maxN = 4
    private static let sigma = 6.0

    /// - Returns: the corpus CIDEr-D and `perItem[i]`, item i's score.
    public static func score(_ corpus: CaptionCorpus) -> (corpus: Double, perItem: [Double]) {
        let counts = corpus.ngramCounts(maxN: maxN)
        var documentFrequency: [[Int]: Int] = [:]
        for references in counts.references {
            for gram in Set(references.flatMap(\.count.keys)) {
                documentFrequency[gram, default: 0] += 1
            }
        }
        let logItems = log(Double(counts.references.count))
        func vector(_ caption: NGramCounts) -> TfIdf {
            TfIdf(caption) { logItems - log(max(1.0, Double(documentFrequency[$0] ?? 0))) }
        }
        let perItem = zip(counts.candidates, counts.references).map { candidate, references in
            let c = vector(candidate)
            var sums = Array(repeating: 0.0, count: maxN)
            for r in references.map(vector) {
                for (n, value) in similarity(c, r).enumerated() { sums[n] += value }
            }
            return sums.reduce(0, +) / Double(maxN) / Double(references.count) * 10
        }
        return (perItem.reduce(0, +) / Double(perItem.count), perItem)
    }

    /// pycocoevalcap's `counts2vec`: the tf-idf weights of one caption's n-grams.
    private struct TfIdf {
        let grams: [[[Int]]]
        let weight: [[Int]: Double]
        /// The Euclidean norm of each order's weights.
        let norms: [Double]
        let bigramCount: Int

        init(_ caption: NGramCounts, idf: ([Int]) -> Double) {
            var weight: [[Int]: Double] = [:]
            norms = caption.grams.map { grams in
                var squares = 0.0
                for gram in grams {
                    let w = Double(caption.count[gram]!) * idf(gram)
                    weight[gram] = w
                    squares += w * w
                }
                return squares.squareRoot()
            }
            grams = caption.grams
            self.weight = weight
            bigramCount = max(0, caption.length - 1)
        }
    }

    /// pycocoevalcap's `sim`: the clipped, length-penalized cosine of each order.
    private static func similarity(_ c: TfIdf, _ r: TfIdf) -> [Double] {
        let delta = Double(c.bigramCount - r.bigramCount)
        let penalty = pow(M_E, -(delta * delta) / (2 * sigma * sigma))
        return (0..<maxN).map { n in
            var value = 0.0
            for gram in c.grams[n] {
                let w = r.weight[gram] ?? 0
                value += min(c.weight[gram]!, w) * w
            }
            if c.norms[n] != 0 && r.norms[n] != 0 { value /= c.norms[n] * r.norms[n] }
            return value * penalty
        }
    }
}
