import PlinthNN

// Legend: B batch, L tokens (the longest row), W token width.

/// A text tower's contextual token features for a batch of token rows, with
/// which positions are real: `tokens` [B, L, W] and `keep` [B, L] (1 for a
/// token, 0 for padding; each row's real tokens come first, at least one).
/// What a reader that attends over words (an action policy's instruction
/// pooling) takes instead of the pooled sentence vector.
public struct TextTokens {
    public let tokens: Tensor
    public let keep: Tensor

    public init(tokens: Tensor, keep: Tensor) {
        precondition(tokens.rank == 3 && keep.shape == Array(tokens.shape.prefix(2)),
                     "TextTokens: tokens \(tokens.shape) with keep \(keep.shape)")
        (self.tokens, self.keep) = (tokens, keep)
    }
}
