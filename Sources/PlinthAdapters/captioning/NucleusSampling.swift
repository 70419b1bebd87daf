import Foundation

/// Nucleus (top-p) sampling of one token (Holtzman et al. 2019), as Hugging
/// Face's temperature then top-p logits warpers.
enum NucleusSampling {
    /// A token drawn from `logProbabilities` (-inf: forbidden) divided by
    /// `temperature` and softmaxed, restricted to the smallest set of most probable
    /// tokens (the lower index first among equals) whose probability reaches `topP`,
    /// at least one token, and renormalized; nil when every token is forbidden.
    static func draw(_ logProbabilities: [Double], temperature: Double, topP: Double,
                     generator: inout some RandomNumberGenerator) -> Int? {
        let allowed = logProbabilities.indices.filter { logProbabilities[$0] > -.infinity }
        guard let top = allowed.max(by: { logProbabilities[$0] < logProbabilities[$1] }) else { return nil }
        // Weights relative to the most probable token, which weighs 1.
        let weights = allowed.map { exp((logProbabilities[$0] - logProbabilities[top]) / temperature) }
        let order = allowed.indices.sorted { weights[$0] > weights[$1] || (weights[$0] == weights[$1] && $0 < $1) }
        let total = weights.reduce(0, +)
        var nucleus: [(token: Int, weight: Double)] = [], mass = 0.0
        for i in order where mass < topP * total {
            nucleus.append((allowed[i], weights[i]))
            mass += weights[i]
        }
        var u = Double.random(in: 0..<mass, using: &generator)
        for (token, weight) in nucleus {
            if u < weight { return token }
            u -= weight
        }
        return nucleus[nucleus.count - 1].token
    }
}
