import Foundation
import PlinthAdapters
import XCTest

/// SequenceDecoder on toy models: beam search against exhaustive enumeration,
/// greedy against the argmax chain, each option's effect, sampling statistics.
/// Token 0 is the start token and token 1 the end token throughout.
final class SequenceDecodingTests: XCTestCase {
    let (start, end) = (0, 1)

    private func decode(_ options: DecodingOptions, seed: UInt64 = 0, _ scorer: NextTokenScorer) throws -> [DecodedSequence] {
        var generator = SplitMix64(seed: seed)
        return try decode(options, generator: &generator, scorer)
    }

    private func decode(_ options: DecodingOptions, generator: inout SplitMix64,
                        _ scorer: NextTokenScorer) throws -> [DecodedSequence] {
        try SequenceDecoder.decode(start: start, end: end, options: options, generator: &generator, scorer: scorer)
    }

    // MARK: Search

    func testLargeBeamSearchFindsTheExhaustiveBest() throws {
        for seed: UInt64 in 1...3 {
            let model = TableModel(vocabulary: 6, seed: seed)
            for (lengthPenalty, minLength, noRepeatNgram) in [(1.0, 0, 0), (0, 2, 0), (2, 0, 2), (-0.5, 1, 1), (1, 4, 0)] {
                let options = DecodingOptions(beams: 1000, maxLength: 4, minLength: minLength,
                                              lengthPenalty: lengthPenalty, noRepeatNgram: noRepeatNgram)
                var calls = 0
                let found = try decode(options) { sequences in
                    calls += 1
                    XCTAssertEqual(Set(sequences.map(\.count)).count, 1, "one scorer call scores beams of equal length")
                    return try model.scorer(sequences)
                }
                let expected = exhaustive(model, options)
                let label = "seed \(seed), options \(options)"
                XCTAssertLessThanOrEqual(calls, options.maxLength, label)
                XCTAssertEqual(found.first?.tokens, expected.first?.tokens, label)
                XCTAssertEqual(found.first?.finished, expected.first?.finished, label)
                XCTAssertEqual(found.first?.score ?? .nan, expected.first?.score ?? 0, accuracy: 1e-9, label)
                // With room for every hypothesis, beam search returns them all, each scored exactly.
                XCTAssertEqual(found.count, expected.count, label)
                let expectedScores = Dictionary(uniqueKeysWithValues: expected.map { (Key($0), $0.score) })
                for hypothesis in found {
                    XCTAssertEqual(hypothesis.score, expectedScores[Key(hypothesis)] ?? .nan, accuracy: 1e-9, label)
                }
                XCTAssertEqual(found.map(\.score), found.map(\.score).sorted(by: >), "best first")
            }
        }
    }

    func testGreedyFollowsTheArgmaxChain() throws {
        for seed: UInt64 in 1...5 {
            let model = TableModel(vocabulary: 6, seed: seed, spread: 1)
            var sequence = [start], finished = false
            while sequence.count <= 8 && !finished {
                let row = model.row(after: sequence)
                let token = row.indices.max { row[$0] < row[$1] }!
                if token == end { finished = true } else { sequence.append(token) }
            }
            let greedy = try decode(DecodingOptions(maxLength: 8), model.scorer)
            XCTAssertEqual(greedy.count, 1)
            XCTAssertEqual(greedy[0].tokens, Array(sequence.dropFirst()), "seed \(seed)")
            XCTAssertEqual(greedy[0].finished, finished, "seed \(seed)")
        }
    }

    func testGreedyBreaksTiesTowardTheLowerToken() throws {
        let flat = conditionalScorer(vocabulary: 4, [:])
        XCTAssertEqual(try decode(DecodingOptions(maxLength: 3), flat)[0].tokens, [0, 0, 0])
    }

    func testBeamSearchFindsWhatGreedyMisses() throws {
        // The likelier first token (2) leads to a flat distribution; token 3 is almost surely followed by the end.
        let scorer = conditionalScorer(vocabulary: 6, [0: [2: 0.55, 3: 0.45], 3: [1: 0.95]])
        let greedy = try decode(DecodingOptions(maxLength: 5), scorer)[0]
        let beam = try decode(DecodingOptions(beams: 2, maxLength: 5), scorer)
        XCTAssertEqual(greedy.tokens.first, 2)
        XCTAssertEqual(beam[0].tokens, [3])
        XCTAssertTrue(beam[0].finished)
        XCTAssertEqual(beam[0].logProbability, log(0.45 * 0.95), accuracy: 1e-6)
        XCTAssertGreaterThan(beam[0].score, greedy.score)
        XCTAssertLessThanOrEqual(beam.count, 2)
    }

    /// The end token is likeliest everywhere: after step 2 two hypotheses are
    /// finished and the worst of them, [0] with score log(0.02 * 0.9) / 2, equals
    /// the best extension's bound, so the search stops long before maxLength.
    func testBeamSearchStopsWhenNoLiveBeamCanWin() throws {
        let eager = conditionalScorer(vocabulary: 6, (0..<6).reduce(into: [:]) { $0[$1] = [1: 0.9] })
        var calls = 0
        let results = try decode(DecodingOptions(beams: 2, maxLength: 10)) { calls += 1; return try eager($0) }
        XCTAssertEqual(calls, 2)
        XCTAssertEqual(results.map(\.tokens), [[], [0]])
        XCTAssertTrue(results.allSatisfy(\.finished))
    }

    /// At step 2 (lengthPenalty 0) the extensions rank [2]+end -1.20, [2, 4] -1.89,
    /// [3]+end -1.97, [3, 5] -2.12: [3]+end ranks third, beyond the 2 beams, so it
    /// is dropped (as Hugging Face does), and [2, 4]+end at step 3 takes its place.
    func testEndTokenRankedBeyondTheBeamsIsDropped() throws {
        let scorer = conditionalScorer(vocabulary: 6, [0: [2: 0.5, 3: 0.4], 2: [1: 0.6, 4: 0.3], 3: [1: 0.35, 5: 0.3]])
        let results = try decode(DecodingOptions(beams: 2, maxLength: 3, lengthPenalty: 0), scorer)
        XCTAssertEqual(results.map(\.tokens), [[2], [2, 4]])
        XCTAssertTrue(results.allSatisfy(\.finished))
    }

    func testLengthPenaltyChangesThePreferredLength() throws {
        // [2] then end: log(0.6 * 0.5) = -1.20 over 2 tokens; [3, 4, 5] then end: log(0.399 * 0.9^3) = -1.23 over 4.
        let scorer = conditionalScorer(vocabulary: 6, [0: [2: 0.6, 3: 0.399], 2: [1: 0.5], 3: [4: 0.9], 4: [5: 0.9], 5: [1: 0.9]])
        let byProbability = try decode(DecodingOptions(beams: 3, maxLength: 6, lengthPenalty: 0), scorer)[0]
        let perToken = try decode(DecodingOptions(beams: 3, maxLength: 6, lengthPenalty: 1), scorer)[0]
        XCTAssertEqual(byProbability.tokens, [2])
        XCTAssertEqual(perToken.tokens, [3, 4, 5])
        XCTAssertEqual(perToken.score, perToken.logProbability / 4, accuracy: 1e-12)
        XCTAssertEqual(byProbability.score, byProbability.logProbability)
    }

    // MARK: Length and repetition constraints

    func testMinLengthDelaysTheEndToken() throws {
        let eager = conditionalScorer(vocabulary: 6, (0..<6).reduce(into: [:]) { $0[$1] = [1: 0.9] })
        XCTAssertEqual(try decode(DecodingOptions(maxLength: 6), eager)[0].tokens, [])
        for options in [DecodingOptions(maxLength: 6, minLength: 3), DecodingOptions(beams: 3, maxLength: 6, minLength: 3)] {
            let results = try decode(options, eager)
            XCTAssertTrue(results.allSatisfy { $0.tokens.count >= 3 }, "\(options)")
            XCTAssertEqual(results[0].tokens.count, 3, "\(options)")
            XCTAssertTrue(results[0].finished, "\(options)")
        }
        for seed: UInt64 in 1...10 {
            let sampled = try decode(DecodingOptions(maxLength: 6, minLength: 3, sample: true, topP: 1), seed: seed, eager)[0]
            XCTAssertGreaterThanOrEqual(sampled.tokens.count, 3, "seed \(seed)")
        }
        let never = try decode(DecodingOptions(beams: 2, maxLength: 4, minLength: 4), eager)
        XCTAssertTrue(never.allSatisfy { !$0.finished && $0.tokens.count == 4 })
    }

    func testMaxLengthBoundsTheTokensAndTheScoredSequences() throws {
        let model = TableModel(vocabulary: 6, seed: 9)
        let reluctant = conditionalScorer(vocabulary: 6, (0..<6).reduce(into: [:]) { $0[$1] = [1: 1e-4] })
        for scorer in [model.scorer, reluctant] {
            for options in [DecodingOptions(maxLength: 5), DecodingOptions(beams: 4, maxLength: 5),
                            DecodingOptions(maxLength: 5, sample: true)] {
                var longest = 0
                let results = try decode(options, seed: 3) { sequences in
                    longest = max(longest, sequences.map(\.count).max()!)
                    XCTAssertLessThanOrEqual(sequences.count, options.beams, "one row per live beam")
                    return try scorer(sequences)
                }
                XCTAssertLessThanOrEqual(longest, 5, "the start token and at most 4 generated tokens are ever scored")
                for result in results {
                    XCTAssertLessThanOrEqual(result.tokens.count + (result.finished ? 1 : 0), 5, "\(options)")
                    if !result.finished { XCTAssertEqual(result.tokens.count, 5, "\(options)") }
                }
            }
        }
        let greedy = try decode(DecodingOptions(maxLength: 5), reluctant)[0]
        XCTAssertEqual(greedy.tokens.count, 5)
        XCTAssertFalse(greedy.finished)
    }

    func testNoRepeatNgramForbidsRepeatedNgrams() throws {
        // 2 and 3 alternate with probability 0.9: the unconstrained best repeats the bigram (2, 3).
        let cycle = conditionalScorer(vocabulary: 6, [0: [2: 0.9], 2: [3: 0.9], 3: [2: 0.9]])
        let unconstrained = try decode(DecodingOptions(maxLength: 6), cycle)[0]
        XCTAssertEqual(unconstrained.tokens, [2, 3, 2, 3, 2, 3])
        XCTAssertTrue(repeatsNgram([start] + unconstrained.tokens, n: 2))
        for n in [1, 2, 3] {
            for options in [DecodingOptions(maxLength: 6, noRepeatNgram: n),
                            DecodingOptions(beams: 4, maxLength: 6, noRepeatNgram: n),
                            DecodingOptions(maxLength: 6, noRepeatNgram: n, sample: true, topP: 1)] {
                for seed: UInt64 in 1...5 {
                    for result in try decode(options, seed: seed, cycle) {
                        let sequence = [start] + result.tokens + (result.finished ? [end] : [])
                        XCTAssertFalse(repeatsNgram(sequence, n: n), "\(sequence), n \(n)")
                    }
                }
            }
        }
        XCTAssertEqual(try decode(DecodingOptions(maxLength: 6, noRepeatNgram: 2), cycle)[0].tokens.prefix(3), [2, 3, 2])
    }

    /// Start 0, end 1 and one word 2: with every token used once and the end token
    /// held back, nothing may follow [0, 2], so the sequence stops there unfinished.
    func testSequenceStopsUnfinishedWhenNoTokenIsAllowed() throws {
        let scorer = conditionalScorer(vocabulary: 3, [:])
        for beams in [1, 2] {
            let results = try decode(DecodingOptions(beams: beams, maxLength: 5, minLength: 2, noRepeatNgram: 1), scorer)
            let logThird = Double(Float(log(1.0 / 3)))
            XCTAssertEqual(results, [DecodedSequence(tokens: [2], logProbability: logThird, score: logThird, finished: false)],
                           "beams \(beams)")
        }
    }

    // MARK: Sampling

    func testSamplingIsReproducibleAndVariesWithTheSeed() throws {
        let model = TableModel(vocabulary: 6, seed: 4, spread: 1)
        let options = DecodingOptions(maxLength: 6, sample: true, topP: 1)
        XCTAssertEqual(try decode(options, seed: 42, model.scorer), try decode(options, seed: 42, model.scorer))
        let outputs = try (1...8).map { try decode(options, seed: $0, model.scorer)[0].tokens }
        XCTAssertGreaterThan(Set(outputs).count, 4)
        // Successive draws from one generator differ too.
        var generator = SplitMix64(seed: 7)
        let draws = try (0..<8).map { _ in
            try decode(options, generator: &generator, model.scorer)[0].tokens
        }
        XCTAssertGreaterThan(Set(draws).count, 4)
    }

    func testTinyTopPSamplesTheGreedySequence() throws {
        for seed: UInt64 in 1...5 {
            let model = TableModel(vocabulary: 6, seed: seed, spread: 1)
            let greedy = try decode(DecodingOptions(maxLength: 8), model.scorer)
            let options = DecodingOptions(maxLength: 8, sample: true, temperature: 1.5, topP: 1e-6)
            let sampled = try decode(options, seed: seed, model.scorer)
            XCTAssertEqual(sampled, greedy, "seed \(seed)")
        }
    }

    /// One step (maxLength 1) drawn 20,000 times: the token frequencies match the
    /// nucleus of softmax(log p / temperature) by a chi-square test at p = 0.001.
    func testSampledFrequenciesMatchTheTemperedNucleus() throws {
        let logits: [Double] = [0.3, -1.0, 1.2, 0.0, -0.4, 0.8]
        let logZ = log(logits.map(exp).reduce(0, +))
        let row = logits.map { Float($0 - logZ) }
        // Chi-square critical values at p = 0.001 by degrees of freedom.
        let critical: [Int: Double] = [1: 10.83, 2: 13.82, 3: 16.27, 4: 18.47, 5: 20.52]
        for (temperature, topP) in [(0.7, 1.0), (1.0, 1.0), (2.0, 0.6), (1.0, 0.5)] {
            let tempered = row.map { exp(Double($0) / temperature) }
            let probabilities = tempered.map { $0 / tempered.reduce(0, +) }
            let order = probabilities.indices.sorted { probabilities[$0] > probabilities[$1] }
            var nucleus: [Int] = [], mass = 0.0
            for token in order where mass < topP { nucleus.append(token); mass += probabilities[token] }

            var counts = [Int](repeating: 0, count: row.count)
            var generator = SplitMix64(seed: 11)
            let options = DecodingOptions(maxLength: 1, sample: true, temperature: temperature, topP: topP)
            let draws = 20_000
            for _ in 0..<draws {
                let result = try decode(options, generator: &generator) { _ in [row] }[0]
                counts[result.finished ? end : result.tokens[0]] += 1
            }
            let label = "temperature \(temperature), topP \(topP)"
            for token in row.indices where !nucleus.contains(token) { XCTAssertEqual(counts[token], 0, label) }
            let chiSquare = nucleus.reduce(0.0) { sum, token in
                let expected = Double(draws) * probabilities[token] / mass
                return sum + pow(Double(counts[token]) - expected, 2) / expected
            }
            XCTAssertGreaterThan(nucleus.count, 1, label)
            XCTAssertLessThan(chiSquare, critical[nucleus.count - 1]!, label)
        }
    }

    // MARK: Scores and options

    func testLogProbabilityIsTheModelsSumAlongTheSequence() throws {
        let model = TableModel(vocabulary: 6, seed: 8)
        for options in [DecodingOptions(maxLength: 6, minLength: 2, lengthPenalty: 0.7, noRepeatNgram: 2),
                        DecodingOptions(beams: 4, maxLength: 6, minLength: 2, lengthPenalty: 0.7, noRepeatNgram: 2),
                        DecodingOptions(maxLength: 6, minLength: 2, lengthPenalty: 0.7, noRepeatNgram: 2,
                                        sample: true, temperature: 0.5, topP: 0.8)] {
            for result in try decode(options, seed: 2, model.scorer) {
                let sequence = [start] + result.tokens + (result.finished ? [end] : [])
                let sum = (1..<sequence.count).reduce(0.0) { $0 + Double(model.row(after: Array(sequence[..<$1]))[sequence[$1]]) }
                XCTAssertEqual(result.logProbability, sum, accuracy: 1e-9, "\(options)")
                XCTAssertEqual(result.score, sum / pow(Double(sequence.count - 1), 0.7), accuracy: 1e-9, "\(options)")
            }
        }
    }

    func testInvalidOptionsAreNamed() {
        let cases: [(String, (inout DecodingOptions) -> Void)] = [
            ("beams", { $0.beams = 0 }),
            ("beams", { $0.beams = 2; $0.sample = true }),
            ("maxLength", { $0.maxLength = 0 }),
            ("minLength", { $0.minLength = -1 }),
            ("minLength", { $0.minLength = 21 }),
            ("lengthPenalty", { $0.lengthPenalty = .nan }),
            ("noRepeatNgram", { $0.noRepeatNgram = -2 }),
            ("temperature", { $0.temperature = 0 }),
            ("temperature", { $0.temperature = .infinity }),
            ("topP", { $0.topP = 0 }),
            ("topP", { $0.topP = 1.5 }),
            ("topP", { $0.topP = .nan }),
        ]
        for (option, invalidate) in cases {
            var options = DecodingOptions()
            invalidate(&options)
            XCTAssertThrowsError(try decode(options) { _ in XCTFail("scored despite invalid options"); return [] }) { error in
                XCTAssertEqual((error as? SequenceDecodingError)?.option, option, "\(error)")
                XCTAssertTrue("\(error)".contains(option), "\(error)")
            }
        }
        XCTAssertNoThrow(try DecodingOptions(minLength: 20, lengthPenalty: -1, topP: 1).validate())
    }

    func testScorerErrorsPropagate() {
        struct ModelFailure: Error {}
        for options in [DecodingOptions(), DecodingOptions(beams: 3), DecodingOptions(sample: true)] {
            XCTAssertThrowsError(try decode(options) { _ in throw ModelFailure() }) { XCTAssertTrue($0 is ModelFailure) }
        }
    }

    // MARK: References

    /// Identifies a hypothesis by its tokens and whether it finished.
    struct Key: Hashable {
        let tokens: [Int], finished: Bool
        init(_ sequence: DecodedSequence) { (tokens, finished) = (sequence.tokens, sequence.finished) }
    }

    /// Every sequence `options` allow, best score first: each ends with the end
    /// token, or has maxLength tokens, or has no allowed continuation. Allowed
    /// means the end token comes after at least minLength tokens and no n-gram
    /// occurs twice in the whole sequence, start and end tokens included.
    private func exhaustive(_ model: TableModel, _ options: DecodingOptions) -> [DecodedSequence] {
        var results: [DecodedSequence] = []
        func add(_ sequence: [Int], _ logProbability: Double, finished: Bool) {
            let length = Double(sequence.count - 1 + (finished ? 1 : 0))
            results.append(DecodedSequence(tokens: Array(sequence.dropFirst()), logProbability: logProbability,
                                           score: logProbability / pow(length, options.lengthPenalty), finished: finished))
        }
        func extend(_ sequence: [Int], _ logProbability: Double) {
            let row = model.row(after: sequence)
            let next = row.indices.filter { token in
                (token != end || sequence.count - 1 >= options.minLength)
                    && !(options.noRepeatNgram > 0 && repeatsNgram(sequence + [token], n: options.noRepeatNgram))
            }
            if next.isEmpty { add(sequence, logProbability, finished: false) }
            for token in next {
                let extended = logProbability + Double(row[token])
                if token == end {
                    add(sequence, extended, finished: true)
                } else if sequence.count == options.maxLength {
                    add(sequence + [token], extended, finished: false)
                } else {
                    extend(sequence + [token], extended)
                }
            }
        }
        extend([start], 0)
        return results.sorted { $0.score > $1.score }
    }

    /// Whether some n-gram occurs twice in `sequence`.
    func repeatsNgram(_ sequence: [Int], n: Int) -> Bool {
        guard sequence.count >= n else { return false }
        let ngrams = (0...(sequence.count - n)).map { Array(sequence[$0..<($0 + n)]) }
        return Set(ngrams).count < ngrams.count
    }

    /// A scorer conditioned on the last token: `probabilities[last]` gives some
    /// tokens' probabilities and the other tokens share the rest evenly.
    func conditionalScorer(vocabulary: Int, _ probabilities: [Int: [Int: Double]]) -> NextTokenScorer {
        { sequences in
            sequences.map { sequence in
                let given = probabilities[sequence.last!] ?? [:]
                let rest = (1 - given.values.reduce(0, +)) / Double(vocabulary - given.count)
                return (0..<vocabulary).map { Float(log(given[$0] ?? rest)) }
            }
        }
    }
}

/// A toy language model: the next-token log-probabilities depend on the last
/// token and on the parity of the sequence length, log-softmax of logits drawn
/// uniformly from [-spread, spread] with a seeded generator.
private struct TableModel {
    let table: [[[Float]]]  // [parity][last token][next token]

    init(vocabulary: Int, seed: UInt64, spread: Double = 2) {
        var generator = SplitMix64(seed: seed)
        table = (0..<2).map { _ in
            (0..<vocabulary).map { _ in
                let logits = (0..<vocabulary).map { _ in Double.random(in: -spread...spread, using: &generator) }
                let logZ = log(logits.map(exp).reduce(0, +))
                return logits.map { Float($0 - logZ) }
            }
        }
    }

    func row(after sequence: [Int]) -> [Float] { table[sequence.count % 2][sequence.last!] }

    var scorer: NextTokenScorer { { $0.map { row(after: $0) } } }
}

/// SplitMix64 (Steele, Lea and Flood 2014): a small seeded generator.
private struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
