extension ModelConfig {
    /// Trains on a 2-core CPU in minutes: 32x32 images in 4x4 patches, 64-mel
    /// 1 s spectrograms, a 32-token text context, width 128, one specific block
    /// per tower and two shared blocks.
    public static func tiny(vocabSize: Int) -> ModelConfig {
        ModelConfig(
            embedDim: 128,
            shared: SharedConfig(layers: 2, width: 128, heads: 4),
            vision: VisionConfig(imageSize: 32, patchSize: 4, width: 128, layers: 1, heads: 4),
            audio: AudioConfig(melBins: 64, frames: 100, patchSize: 16, patchStride: 10, width: 128, layers: 1, heads: 4),
            text: TextConfig(vocabSize: vocabSize, contextLength: 32, width: 128, layers: 1, heads: 4))
    }

    /// The published ViT-B/16 shapes (open_clip `ViT-B-16`: vision 768 wide, 12
    /// layers, 12 heads, 224 px in 16 px patches; text 512 wide, 12 layers, 8
    /// heads, 77 tokens of the 49,408-token CLIP BPE; joint width 512) with an
    /// ImageBind-sized audio tower (128 mels x 204 frames, 16x16 patches every
    /// 10). Separate towers: no shared blocks.
    public static let vitB16 = ModelConfig(
        embedDim: 512,
        shared: SharedConfig(layers: 0, width: 768, heads: 12),
        vision: VisionConfig(imageSize: 224, patchSize: 16, width: 768, layers: 12, heads: 12),
        audio: AudioConfig(melBins: 128, frames: 204, patchSize: 16, patchStride: 10, width: 768, layers: 12, heads: 12),
        text: TextConfig(vocabSize: 49408, contextLength: 77, width: 512, layers: 12, heads: 8))
}
