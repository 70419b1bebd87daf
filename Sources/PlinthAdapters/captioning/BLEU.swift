import Foundation

/// BLEU-1...BLEU-N of captions as coco-caption computes them: pycocoevalcap's
/// `Bleu(4).compute_score(gts, res)` (bleu/bleu_scorer.py with `option='closest'`).
///
/// Per item, with c the candidate's token count:
/// - guess_n = max(0, c - n + 1), the candidate's n-gram count;
/// - correct_n = the sum over the candidate's distinct n-grams of min(count, its largest count
///   in any one reference);
/// - r = the reference length closest to c (the shorter on a tie).
///
/// From these (per item, or each summed over the corpus):
///
///     BLEU-N = (prod_{n <= N} (correct_n + 1e-15) / (guess_n + 1e-9))^(1/N) * BP
///     BP = exp(1 - 1/ratio) if ratio = (c + 1e-15) / (r + 1e-9) < 1, else 1.
///
/// The constants have visible effects, as in pycocoevalcap: a perfect match scores about
/// 1 - 1e-9 rather than 1; an order with no candidate n-grams (a candidate shorter than n
/// tokens) contributes a factor 1e-6 rather than 0 or 0/0; an empty candidate scores 0.
/// The operations are pycocoevalcap's, in its order.
public enum BLEU {
    /// pycocoevalcap Bleu(4): corpus scores BLEU-1..4 and per-item scores.
    ///
    /// - Returns: `corpus[n - 1]` is the corpus BLEU-n and `perItem[i][n - 1]` item i's own
    ///   BLEU-n, for n = 1...maxN. (pycocoevalcap returns the per-item scores transposed, one
    ///   list per n.) Per-item scores do not depend on the other items.
    public static func score(_ corpus: CaptionCorpus, maxN: Int = 4) -> (corpus: [Double], perItem: [[Double]]) {
        precondition(maxN >= 1, "BLEU.score: maxN must be at least 1, got \(maxN)")
        let counts = corpus.ngramCounts(maxN: maxN)
        var total = Statistics(maxN: maxN)
        let perItem = zip(counts.candidates, counts.references).map { candidate, references in
            let item = Statistics(candidate, references, maxN: maxN)
            total.add(item)
            return item.scores()
        }
        return (total.scores(), perItem)
    }

    /// pycocoevalcap's `cook_test` of one item, or the sum of those over a corpus.
    private struct Statistics {
        var candidateLength = 0
        var referenceLength = 0
        var guess: [Int]
        var correct: [Int]

        init(maxN: Int) {
            guess = Array(repeating: 0, count: maxN)
            correct = guess
        }

        init(_ candidate: NGramCounts, _ references: [NGramCounts], maxN: Int) {
            var maxCount: [[Int]: Int] = [:]
            for reference in references {
                maxCount.merge(reference.count, uniquingKeysWith: max)
            }
            let c = candidate.length
            candidateLength = c
            referenceLength = references.map(\.length).min { (abs($0 - c), $0) < (abs($1 - c), $1) }!
            guess = (1...maxN).map { max(0, c - $0 + 1) }
            correct = candidate.grams.map { grams in
                grams.reduce(0) { $0 + min(candidate.count[$1]!, maxCount[$1] ?? 0) }
            }
        }

        mutating func add(_ other: Statistics) {
            candidateLength += other.candidateLength
            referenceLength += other.referenceLength
            for n in guess.indices {
                guess[n] += other.guess[n]
                correct[n] += other.correct[n]
            }
        }

        /// BLEU-1...BLEU-maxN, with pycocoevalcap's operations in its order.
        func scores() -> [Double] {
            let tiny = 1e-15, small = 1e-9
            var product = 1.0
            let unpenalized = guess.indices.map { n in
                product *= (Double(correct[n]) + tiny) / (Double(guess[n]) + small)
                return pow(product, 1.0 / Double(n + 1))
            }
            let ratio = (Double(candidateLength) + tiny) / (Double(referenceLength) + small)
            return ratio < 1 ? unpenalized.map { $0 * exp(1 - 1 / ratio) } : unpenalized
        }
    }
}
