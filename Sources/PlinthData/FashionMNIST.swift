import Foundation

/// Fashion-MNIST (Zalando): 70,000 28x28 gray images of 10 clothing classes,
/// from the Debian package dataset-fashion-mnist.
///
/// The four gzip IDX files are decompressed into the dataset folder (reused
/// when already there and valid). Records: the 60,000 training images, of
/// which a seeded `validationCount` are `val` and the rest `train`, then the
/// 10,000 t10k images as `test`. `image` is `PATH#N`, `label` the class
/// index, `label_name` and `text` the lower-case class name. With `speech`,
/// each record also has its class name spoken (see ``SpokenLabels``).
public struct FashionMNIST: DatasetConverter {
    /// The dataset's official class names, by label.
    public static let classNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    /// Lower-case names for captions and `label_name`, by label.
    public static let labelNames = ["t-shirt", "trouser", "pullover", "dress", "coat",
                                    "sandal", "shirt", "sneaker", "bag", "ankle boot"]
    public static let debianPackage = "dataset-fashion-mnist"

    public var sourceDirectory: URL
    public var validationCount: Int
    public var speech: SpokenLabels?

    public init(sourceDirectory: URL = URL(fileURLWithPath: "/usr/share/datasets/fashion-mnist"), validationCount: Int = 5000,
                speech: SpokenLabels? = nil) {
        self.sourceDirectory = sourceDirectory
        self.validationCount = validationCount
        self.speech = speech
    }

    /// Class names spoken by espeak-ng, for conditioning on sound: train and val
    /// records get one of `trainVoices`, test records one of `testVoices` (by
    /// record index), so test speech comes from voices never heard in training.
    /// Files: `<directory>/speech/<voice>/<label name>.wav`, made once and kept.
    public struct SpokenLabels: Sendable {
        public var trainVoices: [String]
        public var testVoices: [String]
        public var synthesizer: SpeechSynthesizer

        public init(trainVoices: [String] = ["en-us+m1", "en-us+f1", "en-us+m2", "en-us+f2", "en-us+m3", "en-us+f3"],
                    testVoices: [String] = ["en-us+m4", "en-us+f4"], synthesizer: SpeechSynthesizer = SpeechSynthesizer()) {
            self.trainVoices = trainVoices
            self.testVoices = testVoices
            self.synthesizer = synthesizer
        }

        /// The WAV of `label` in `voice` ("ankle boot" -> `ankle-boot.wav`).
        func file(_ voice: String, _ label: Int, in directory: URL) -> URL {
            let name = FashionMNIST.labelNames[label].replacingOccurrences(of: " ", with: "-")
            return directory.appendingPathComponent("speech").appendingPathComponent(voice).appendingPathComponent(name + ".wav")
        }

        /// Synthesizes every missing file.
        func make(in directory: URL, progress: ProgressHandler?) throws {
            for voice in trainVoices + testVoices {
                var speaker = synthesizer
                speaker.voice = voice
                let jobs = FashionMNIST.labelNames.indices
                    .map { (text: FashionMNIST.labelNames[$0], url: file(voice, $0, in: directory)) }
                    .filter { !FileManager.default.fileExists(atPath: $0.url.path) }
                try speaker.synthesize(jobs, progress: progress)
            }
        }
    }

    public func convert(into directory: URL, seed: UInt64, progress: ProgressHandler?) throws -> Conversion {
        let train = try part("train", into: directory)
        let test = try part("t10k", into: directory)
        guard validationCount >= 0, validationCount <= train.labels.count else {
            throw DataError(.invalidArgument, source: "FashionMNIST",
                            "validationCount \(validationCount) is outside 0...\(train.labels.count)")
        }
        let splits = Seeds.splits(count: train.labels.count, val: validationCount, test: 0, seed: seed)
        try speech?.make(in: directory, progress: progress)
        func record(_ part: String, _ images: String, _ i: Int, _ label: Int, _ split: Split) -> ManifestRecord {
            let name = Self.labelNames[label]
            var spoken: String?
            if let speech {
                let voices = split == .test ? speech.testVoices : speech.trainVoices
                spoken = speech.file(voices[i % voices.count], label, in: directory).path
            }
            return ManifestRecord(id: "fashion-mnist/\(part)/\(i)", image: "\(images)#\(i)", speech: spoken, text: name,
                                  label: label, labelName: name, split: split)
        }
        var records = train.labels.enumerated().map { record("train", train.images, $0, $1, splits[$0]) }
        records += test.labels.enumerated().map { record("t10k", test.images, $0, $1, .test) }
        return Conversion(records: records)
    }

    /// Decompresses one part's images and labels; returns the image file's path and the labels.
    private func part(_ prefix: String, into directory: URL) throws -> (images: String, labels: [Int]) {
        let images = try decompress("\(prefix)-images-idx3-ubyte", rank: 3, into: directory)
        let labels = try decompress("\(prefix)-labels-idx1-ubyte", rank: 1, into: directory)
        guard labels.dims[0] == images.dims[0] else {
            throw DataError(.corrupt, source: labels.path, "\(labels.dims[0]) labels for \(images.dims[0]) images in \(images.path)")
        }
        let values = labels.elements(from: 0, count: labels.dims[0]).map(Int.init)
        if let bad = values.firstIndex(where: { $0 >= Self.classNames.count }) {
            throw DataError(.corrupt, source: labels.path,
                            "offset \(labels.headerBytes + bad): label \(values[bad]) is not a class index 0..<\(Self.classNames.count)")
        }
        return (images.path, values)
    }

    /// `<directory>/<name>` from `<source>/<name>.gz`, validated as an IDX file of `rank`.
    private func decompress(_ name: String, rank: Int, into directory: URL) throws -> IDXFile {
        let target = directory.appendingPathComponent(name)
        if let existing = try? IDXFile(contentsOf: target.path, rank: rank) { return existing }
        let source = sourceDirectory.appendingPathComponent(name + ".gz")
        guard FileManager.default.fileExists(atPath: source.path) else {
            throw DataError.missingPackage(Self.debianPackage, path: source.path)
        }
        let data = try Gzip.decompress(source, limit: 1 << 30)
        _ = try IDXFile(data: data, path: source.path, rank: rank)
        try AtomicFile.write(data, to: target)
        return try IDXFile(contentsOf: target.path, rank: rank)
    }
}
