/// The kinds of input a multimodal model embeds.
public enum Modality: String, Codable, CaseIterable, Sendable {
    case image, audio, text

    /// Row of this modality in `MultimodalModel.modalityEmbedding`.
    public var index: Int { Modality.allCases.firstIndex(of: self)! }
}
