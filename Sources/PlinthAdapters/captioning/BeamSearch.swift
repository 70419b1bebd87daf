import Foundation

extension SequenceDecoder {
    /// Beam search as Hugging Face's `_beam_search` with `early_stopping=False`.
    ///
    /// Each step scores all live beams (of equal length) in one scorer call and
    /// ranks their allowed one-token extensions by summed log-probability, keeping
    /// the best 2 x `beams`. In that order an extension by the end token, if it
    /// ranks within the first `beams`, becomes a finished hypothesis; any other
    /// extension becomes a live beam until `beams` are live. The best `beams`
    /// hypotheses by score (log-probability / length^lengthPenalty) are kept.
    ///
    /// Search stops once `beams` hypotheses are kept and the worst of them scores
    /// at least the best extension's log-probability / (current length)^lengthPenalty
    /// (Hugging Face's heuristic); at `maxLength`, when the live beams compete as
    /// unfinished hypotheses; or when no beam can be extended. A beam after which
    /// no token is allowed competes as an unfinished hypothesis at once.
    static func beamSearch(start: Int, end: Int, options: DecodingOptions,
                           scorer: NextTokenScorer) throws -> [DecodedSequence] {
        let width = options.beams
        var live = [(sequence: [start], logProbability: 0.0)]
        var hypotheses = BoundedRanking<DecodedSequence>(capacity: width)
        func keep(_ sequence: [Int], _ logProbability: Double, finished: Bool) {
            let hypothesis = DecodedSequence(sequence: sequence, logProbability: logProbability, finished: finished,
                                             lengthPenalty: options.lengthPenalty)
            hypotheses.offer(hypothesis, score: hypothesis.score)
        }

        for length in 1...options.maxLength {
            let rows = try scores(live.map(\.sequence), end: end, scorer: scorer)
            var extensions = BoundedRanking<(beam: Int, token: Int)>(capacity: 2 * width)
            for (b, beam) in live.enumerated() {
                let allowed = allowedLogProbabilities(rows[b], after: beam.sequence, end: end, options: options)
                let tokens = allowed.indices.filter { allowed[$0] > -.infinity }
                if tokens.isEmpty { keep(beam.sequence, beam.logProbability, finished: false) }
                for token in tokens { extensions.offer((b, token), score: beam.logProbability + allowed[token]) }
            }

            var next: [(sequence: [Int], logProbability: Double)] = []
            for (rank, (candidate, logProbability)) in extensions.ranked.enumerated() where next.count < width {
                let sequence = live[candidate.beam].sequence
                if candidate.token != end {
                    next.append((sequence + [candidate.token], logProbability))
                } else if rank < width {
                    keep(sequence, logProbability, finished: true)
                }
            }
            if let (_, best) = extensions.ranked.first, let worst = hypotheses.worstScore, hypotheses.isFull,
               worst >= best / pow(Double(length), options.lengthPenalty) {
                return hypotheses.ranked.map(\.element)
            }
            if next.isEmpty { return hypotheses.ranked.map(\.element) }
            live = next
        }
        for beam in live { keep(beam.sequence, beam.logProbability, finished: false) }
        return hypotheses.ranked.map(\.element)
    }
}

/// The best `capacity` elements offered so far, by descending score. An element
/// that ties ranks after those offered before it; one that does not beat the
/// worst of a full ranking is dropped, and one that does pushes the worst out.
struct BoundedRanking<Element> {
    let capacity: Int
    private(set) var ranked: [(element: Element, score: Double)] = []

    init(capacity: Int) {
        self.capacity = capacity
    }

    var isFull: Bool { ranked.count >= capacity }

    var worstScore: Double? { ranked.last?.score }

    mutating func offer(_ element: Element, score: Double) {
        if isFull {
            guard score > ranked[capacity - 1].score else { return }
            ranked.removeLast()
        }
        let position = ranked.lastIndex { $0.score >= score }.map { $0 + 1 } ?? 0
        ranked.insert((element, score), at: position)
    }
}
