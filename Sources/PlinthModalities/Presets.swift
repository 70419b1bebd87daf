/// Image preprocessing constants (modalities/image.yaml).
public struct ImagePreset: ModalityPreset, Equatable {
    public static let modality = "image"
    public static let fields = ["size", "resize", "interpolation", "mean", "std"]

    /// Side of the square output after the center crop.
    public var size: Int
    /// Length the shortest side is resized to before cropping.
    public var resize: Int
    /// "bicubic" or "bilinear" (PIL's antialiased filters).
    public var interpolation: String
    /// Per-channel mean and standard deviation for normalization (RGB).
    public var mean: [Float]
    public var std: [Float]
}

/// Audio preprocessing constants (modalities/audio.yaml).
public struct AudioPreset: ModalityPreset, Equatable {
    public static let modality = "audio"
    public static let fields = ["features", "sample_rate", "clip_seconds", "mel_bins", "frame_length_ms",
                                "frame_shift_ms", "target_frames", "n_fft", "hop_length", "mean", "std"]

    /// "kaldi_fbank" (torchaudio.compliance.kaldi.fbank) or "log_mel" (Whisper).
    public var features: String
    public var sampleRate: Int
    public var clipSeconds: Double
    public var melBins: Int
    /// Kaldi fbank window and shift.
    public var frameLengthMs: Double?
    public var frameShiftMs: Double?
    /// Frames after padding or cropping the fbank (ImageBind: 204).
    public var targetFrames: Int?
    /// Whisper log-mel STFT size and hop.
    public var nFft: Int?
    public var hopLength: Int?
    /// Feature normalization: (x - mean) / std.
    public var mean: Float
    public var std: Float

    enum CodingKeys: String, CodingKey {
        case features, sampleRate = "sample_rate", clipSeconds = "clip_seconds", melBins = "mel_bins"
        case frameLengthMs = "frame_length_ms", frameShiftMs = "frame_shift_ms", targetFrames = "target_frames"
        case nFft = "n_fft", hopLength = "hop_length", mean, std
    }
}

/// Tokenizer constants (modalities/text.yaml).
public struct TextPreset: ModalityPreset, Encodable, Equatable {
    public static let modality = "text"
    public static let fields = ["tokenizer", "vocabulary", "context_length", "lowercase"]

    /// "clip_bpe", "wordpiece" or "bpe".
    public var tokenizer: String
    /// Vocabulary file, relative to the repository root (in a card: to the model file's folder).
    public var vocabulary: String
    public var contextLength: Int
    public var lowercase: Bool

    public init(tokenizer: String, vocabulary: String, contextLength: Int, lowercase: Bool = true) {
        (self.tokenizer, self.vocabulary, self.contextLength, self.lowercase) = (tokenizer, vocabulary, contextLength, lowercase)
    }

    enum CodingKeys: String, CodingKey {
        case tokenizer, vocabulary, contextLength = "context_length", lowercase
    }
}
