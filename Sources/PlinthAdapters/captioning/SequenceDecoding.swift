import Foundation

/// Natural-log probabilities of the next token after each of `sequences`: one row
/// of the vocabulary size V per sequence, each row summing to 1 in probability.
///
/// Every sequence starts with the start token, and the sequences of one call all
/// have the same length.
public typealias NextTokenScorer = (_ sequences: [[Int]]) throws -> [[Float]]

/// How ``SequenceDecoder`` turns next-token probabilities into sequences. The
/// length options count generated tokens: the start token never, the end token
/// where it says so.
public struct DecodingOptions: Sendable, Equatable {
    /// The beam width: 1 decodes greedily (or samples, with `sample`), more runs
    /// beam search. Must be 1 when sampling.
    public var beams: Int
    /// The most tokens generated, the end token included.
    public var maxLength: Int
    /// The fewest tokens generated before the end token, which is forbidden until
    /// then (Hugging Face's `min_new_tokens`).
    public var minLength: Int
    /// A sequence's score is its log-probability / length^lengthPenalty, the length
    /// counting the end token (Hugging Face's `length_penalty`): 0 ranks by
    /// log-probability alone, larger values favour longer sequences.
    public var lengthPenalty: Double
    /// n > 0: no n-gram occurs twice in the start token followed by the generated
    /// tokens, end token included (Hugging Face's `no_repeat_ngram_size`); 0: off.
    public var noRepeatNgram: Int
    /// Nucleus sampling (`temperature`, `topP`) instead of search.
    public var sample: Bool
    /// Sampling divides the log-probabilities by this before the softmax.
    public var temperature: Double
    /// Sampling draws from the smallest set of most probable tokens whose
    /// probability reaches this (Holtzman et al. 2019).
    public var topP: Double

    public init(beams: Int = 1, maxLength: Int = 20, minLength: Int = 0, lengthPenalty: Double = 1,
                noRepeatNgram: Int = 0, sample: Bool = false, temperature: Double = 1, topP: Double = 0.9) {
        (self.beams, self.maxLength, self.minLength, self.lengthPenalty) = (beams, maxLength, minLength, lengthPenalty)
        (self.noRepeatNgram, self.sample, self.temperature, self.topP) = (noRepeatNgram, sample, temperature, topP)
    }

    /// Checks every option's range: beams >= 1 (exactly 1 when sampling),
    /// maxLength >= 1, 0 <= minLength <= maxLength, a finite lengthPenalty,
    /// noRepeatNgram >= 0, temperature > 0 and 0 < topP <= 1.
    ///
    /// - Throws: ``SequenceDecodingError`` naming the first option out of range.
    public func validate() throws {
        func require(_ valid: Bool, _ option: String, _ rule: String, _ value: any Sendable) throws {
            if !valid { throw SequenceDecodingError(option: option, message: "\(option) must be \(rule), got \(value)") }
        }
        try require(beams >= 1, "beams", "at least 1", beams)
        try require(!sample || beams == 1, "beams", "1 when sampling", beams)
        try require(maxLength >= 1, "maxLength", "at least 1", maxLength)
        try require(minLength >= 0 && minLength <= maxLength, "minLength", "in 0...maxLength (\(maxLength))", minLength)
        try require(lengthPenalty.isFinite, "lengthPenalty", "finite", lengthPenalty)
        try require(noRepeatNgram >= 0, "noRepeatNgram", "at least 0", noRepeatNgram)
        try require(temperature > 0 && temperature.isFinite, "temperature", "positive and finite", temperature)
        try require(topP > 0 && topP <= 1, "topP", "in (0, 1]", topP)
    }
}

/// One decoded sequence.
public struct DecodedSequence: Sendable, Equatable {
    /// The generated tokens, without the start and end tokens.
    public var tokens: [Int]
    /// The model's log-probability of the generated tokens, the end token included
    /// when produced: the sum of the scorer's entries along the sequence, at
    /// temperature 1 and without the decoding masks.
    public var logProbability: Double
    /// `logProbability / length^lengthPenalty`, the length counting the end token
    /// when produced (an empty unfinished sequence counts 1): beam search's ranking.
    public var score: Double
    /// Whether the sequence ended with the end token; false when it reached
    /// `maxLength`, or no token was allowed after it.
    public var finished: Bool

    public init(tokens: [Int], logProbability: Double, score: Double, finished: Bool) {
        (self.tokens, self.logProbability, self.score, self.finished) = (tokens, logProbability, score, finished)
    }

    /// `sequence` (start token first), ended by the end token when `finished`, scored with `lengthPenalty`.
    init(sequence: [Int], logProbability: Double, finished: Bool, lengthPenalty: Double) {
        let length = max(sequence.count - 1 + (finished ? 1 : 0), 1)
        self.init(tokens: Array(sequence.dropFirst()), logProbability: logProbability,
                  score: logProbability / pow(Double(length), lengthPenalty), finished: finished)
    }
}

/// Invalid ``DecodingOptions``.
public struct SequenceDecodingError: Error, CustomStringConvertible, LocalizedError, Sendable, Equatable {
    /// The option out of range, spelled as in ``DecodingOptions``.
    public let option: String
    public let message: String

    public init(option: String, message: String) {
        (self.option, self.message) = (option, message)
    }

    public var description: String { "sequence decoding: \(message)" }

    public var errorDescription: String? { description }
}

/// Decodes token sequences from a ``NextTokenScorer``: greedy search, beam
/// search (`BeamSearch.swift`) or nucleus sampling (`NucleusSampling.swift`).
///
/// At each step the options mask the scorer's row (Hugging Face's logits
/// processors): the end token before `minLength` generated tokens, and the tokens
/// that would repeat an n-gram (`noRepeatNgram`), get probability 0. Tokens of
/// probability 0 are never chosen; a sequence after which every token has
/// probability 0 ends there, unfinished.
public enum SequenceDecoder {
    /// Sequences after `start` up to `end`, best first: greedy (`beams` 1) and
    /// sampling (`sample`) return one, beam search up to `beams`, each finished or
    /// not. `generator` is used only when sampling.
    ///
    /// The scorer must return one row per sequence, each containing the `end`
    /// token's index; breaking that is a programming error and traps.
    ///
    /// - Throws: ``SequenceDecodingError`` naming an invalid option (before any
    ///   scorer call), and whatever the scorer throws.
    public static func decode(start: Int, end: Int, options: DecodingOptions,
                              generator: inout some RandomNumberGenerator,
                              scorer: NextTokenScorer) throws -> [DecodedSequence] {
        try options.validate()
        if options.beams > 1 {
            return try beamSearch(start: start, end: end, options: options, scorer: scorer)
        }
        return [try decodeSingle(start: start, end: end, options: options, generator: &generator, scorer: scorer)]
    }

    /// Greedy search or sampling: extends one sequence by the most probable
    /// allowed token (the lowest index among equals) or by a nucleus draw.
    static func decodeSingle(start: Int, end: Int, options: DecodingOptions,
                          generator: inout some RandomNumberGenerator,
                          scorer: NextTokenScorer) throws -> DecodedSequence {
        var sequence = [start], logProbability = 0.0
        while sequence.count <= options.maxLength {
            let row = try scores([sequence], end: end, scorer: scorer)[0]
            let allowed = allowedLogProbabilities(row, after: sequence, end: end, options: options)
            let choice = options.sample
                ? NucleusSampling.draw(allowed, temperature: options.temperature, topP: options.topP, generator: &generator)
                : allowed.indices.filter { allowed[$0] > -.infinity }.max { allowed[$0] < allowed[$1] }
            guard let token = choice else { break }
            logProbability += allowed[token]
            if token == end {
                return DecodedSequence(sequence: sequence, logProbability: logProbability, finished: true,
                                       lengthPenalty: options.lengthPenalty)
            }
            sequence.append(token)
        }
        return DecodedSequence(sequence: sequence, logProbability: logProbability, finished: false,
                               lengthPenalty: options.lengthPenalty)
    }

    /// The scorer's rows for `sequences`, after checking there is one per sequence
    /// and each holds the end token.
    static func scores(_ sequences: [[Int]], end: Int, scorer: NextTokenScorer) throws -> [[Float]] {
        let rows = try scorer(sequences)
        precondition(rows.count == sequences.count,
                     "SequenceDecoder: the scorer returned \(rows.count) rows for \(sequences.count) sequences")
        for row in rows {
            precondition(row.indices.contains(end), "SequenceDecoder: end token \(end) is outside a row of \(row.count) tokens")
        }
        return rows
    }

    /// `row`, the scorer's log-probabilities after `sequence` (start token first),
    /// with -inf for what may not come next: the end token while fewer than
    /// `minLength` tokens are generated, every token that would complete an n-gram
    /// already in `sequence` (n = `noRepeatNgram`), and non-finite entries (log 0, NaN).
    static func allowedLogProbabilities(_ row: [Float], after sequence: [Int], end: Int,
                                        options: DecodingOptions) -> [Double] {
        var allowed = row.map { $0.isFinite ? Double($0) : -.infinity }
        if sequence.count - 1 < options.minLength { allowed[end] = -.infinity }
        for token in ngramRepeats(after: sequence, n: options.noRepeatNgram) where allowed.indices.contains(token) {
            allowed[token] = -.infinity
        }
        return allowed
    }

    /// The tokens that would complete an n-gram already in `sequence`: each token
    /// that followed an earlier occurrence of its last n - 1 tokens (every token of
    /// `sequence` when n is 1, none when n is 0).
    static func ngramRepeats(after sequence: [Int], n: Int) -> [Int] {
        guard n > 0, sequence.count >= n else { return [] }
        let context = sequence.suffix(n - 1)
        return (0...(sequence.count - n)).compactMap { i in
            sequence[i..<(i + n - 1)].elementsEqual(context) ? sequence[i + n - 1] : nil
        }
    }
}
