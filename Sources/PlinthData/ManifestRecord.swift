/// Which part of the data a record belongs to.
public enum Split: String, Sendable, Hashable, CaseIterable, Codable {
    case train, val, test
}

/// The modalities a loader can read from a record.
public enum Field: String, Sendable, Hashable, CaseIterable, Codable {
    case image, audio, speech, text
}

/// One example of a dataset: one line of a JSONL manifest.
///
/// Keys in the file are snake_case: `id`, `image`, `audio`, `speech`, `text`,
/// `label`, `label_name`, `category`, `split`. Only `id` and `split` are
/// required. `image` is an image file path or `PATH#N`, item N (0-based) of an
/// uncompressed IDX image file. `audio` is a sound, `speech` the spoken
/// caption; both are audio files (WAV, FLAC, OGG/Vorbis).
public struct ManifestRecord: Sendable, Hashable {
    /// Unique within a manifest, e.g. "tuxpaint/animals/mammals/badger".
    public var id: String
    public var image: String?
    public var audio: String?
    public var speech: String?
    public var text: String?
    /// Class index.
    public var label: Int?
    /// Human-readable class name ("ankle boot"); fills caption templates.
    public var labelName: String?
    public var category: String?
    public var split: Split

    public init(id: String, image: String? = nil, audio: String? = nil, speech: String? = nil, text: String? = nil,
                label: Int? = nil, labelName: String? = nil, category: String? = nil, split: Split) {
        self.id = id
        self.image = image
        self.audio = audio
        self.speech = speech
        self.text = text
        self.label = label
        self.labelName = labelName
        self.category = category
        self.split = split
    }

    /// The record's value for a loadable field (a path, or the text).
    public func value(_ field: Field) -> String? {
        switch field {
        case .image: image
        case .audio: audio
        case .speech: speech
        case .text: text
        }
    }

    /// Whether the record has every field in `fields` (filter records with it before building a loader).
    public func has(_ fields: Set<Field>) -> Bool { fields.allSatisfy { value($0) != nil } }

    /// `image` split into an IDX file path and item index when it has the form `PATH#N`, else nil.
    public var idxImage: (path: String, index: Int)? {
        guard let image, let hash = image.lastIndex(of: "#") else { return nil }
        let digits = image[image.index(after: hash)...]
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber), let n = Int(digits) else {
            return nil
        }
        return (String(image[..<hash]), n)
    }
}
