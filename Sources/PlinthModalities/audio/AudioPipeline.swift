import Foundation
import PlinthTensor

/// An audio file to model input, as a modality card's preset describes it:
/// decode -> downmix to mono -> resample to the preset rate -> Kaldi fbank of
/// at most `clip_seconds` with frames padded or cropped to `target_frames`
/// (ImageBind), or Whisper log-mel of the waveform padded or cut to
/// `clip_seconds`. Output [melBins, frames].
public struct AudioPipeline: Sendable {
    public enum Features: Sendable {
        case kaldiFbank(ImageBindFbank)
        case logMel(WhisperLogMel)
    }

    public let sampleRate: Int
    public let clipSamples: Int
    public let features: Features

    /// Builds the pipeline for a preset of modalities/audio.yaml; a preset that
    /// lacks a field its feature type needs is an error naming it.
    public init(preset p: AudioPreset) throws {
        func need<T>(_ value: T?, _ field: String) throws -> T {
            guard let value else {
                throw AudioError(.invalidArgument, source: "modalities/audio.yaml", "'\(p.features)' needs the field '\(field)'")
            }
            return value
        }
        sampleRate = p.sampleRate
        clipSamples = AudioClips.sampleCount(seconds: p.clipSeconds, sampleRate: p.sampleRate)
        switch p.features {
        case "kaldi_fbank":
            features = .kaldiFbank(ImageBindFbank(
                sampleRate: p.sampleRate, melBins: p.melBins, frameLengthMs: try need(p.frameLengthMs, "frame_length_ms"),
                frameShiftMs: try need(p.frameShiftMs, "frame_shift_ms"), targetFrames: try need(p.targetFrames, "target_frames"),
                mean: p.mean, std: p.std))
        case "log_mel":
            features = .logMel(WhisperLogMel(sampleRate: p.sampleRate, melBins: p.melBins, nFft: try need(p.nFft, "n_fft"),
                                             hopLength: try need(p.hopLength, "hop_length")))
        default:
            throw AudioError(.invalidArgument, source: "modalities/audio.yaml",
                             "unknown features '\(p.features)'; valid: kaldi_fbank, log_mel")
        }
    }

    /// Features of a decoded waveform (any rate, any channel count).
    public func callAsFunction(_ audio: Waveform) throws -> Tensor {
        let mono = audio.mono()
        var wave = mono.channel(0)
        if mono.sampleRate != sampleRate {
            // Both feature types read only the first clipSamples samples.
            wave = try Resampler.shared(from: mono.sampleRate, to: sampleRate)(wave, limit: clipSamples)
        }
        switch features {
        case .kaldiFbank(let f):
            // ImageBind crops long audio to the clip and pads short clips' frames, not samples.
            return f(Array(wave.prefix(clipSamples)))
        case .logMel(let f):
            // Whisper's pad_or_trim: zeros up to the window, or cut.
            return try f(AudioClips.fit(wave, length: clipSamples))
        }
    }

    /// Features of an audio file (WAV, FLAC, OGG/Vorbis).
    public func callAsFunction(contentsOf url: URL) throws -> Tensor {
        try self(AudioDecoder.decode(url: url))
    }
}
