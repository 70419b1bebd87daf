import CSndfile
import Foundation
import PlinthTensor

/// Decodes WAV, FLAC and OGG/Vorbis (anything libsndfile reads) into a `Waveform`.
///
/// Output: `[C, N]` Float32, channels first; integer PCM scaled by 1 / 2^(bits-1)
/// (libsndfile's normalized float read, identical to `soundfile.read(dtype="float32")`).
///
/// Hostile input is bounded before allocation: the header's sample rate, channel
/// count and `frames * channels` are checked against `Limits`. A stream that ends
/// before the frame count its header declares is reported as corrupt, as is any
/// read error libsndfile raises mid-stream. Every failure is a thrown `AudioError`
/// naming the source.
public enum AudioDecoder {
    /// Bounds checked before any sample buffer is allocated.
    public struct Limits: Sendable, Equatable {
        /// Largest accepted `frames * channels`. Default: one hour at 48 kHz with
        /// 8 channels (1_382_400_000 samples, 5.5 GB of Float32).
        public var maxSamples: Int
        /// Largest accepted channel count (default 8).
        public var maxChannels: Int
        /// Accepted sample rates in Hz (default 1 Hz ... 768 kHz).
        public var sampleRates: ClosedRange<Int>

        public init(maxSamples: Int = 3600 * 48_000 * 8, maxChannels: Int = 8,
                    sampleRates: ClosedRange<Int> = 1...768_000) {
            self.maxSamples = maxSamples
            self.maxChannels = maxChannels
            self.sampleRates = sampleRates
        }

        public static let `default` = Limits()
    }

    /// Decodes the file at `path`.
    public static func decode(path: String, limits: Limits = .default) throws -> Waveform {
        var info = SF_INFO()
        guard let file = sf_open(path, Int32(SFM_READ), &info) else {
            let reason = String(cString: sf_strerror(nil))
            let exists = FileManager.default.fileExists(atPath: path)
            throw AudioError(.unreadable, source: path, exists ? "cannot open: \(reason)" : "no such file")
        }
        defer { sf_close(file) }
        return try read(file, info: info, source: path, limits: limits)
    }

    /// Decodes the file at `url`.
    public static func decode(url: URL, limits: Limits = .default) throws -> Waveform {
        try decode(path: url.path, limits: limits)
    }

    /// Decodes in-memory bytes (a whole WAV, FLAC or OGG file) through
    /// `sf_open_virtual`. `name` labels errors (default `"<memory>"`).
    public static func decode(data: Data, name: String = "<memory>", limits: Limits = .default) throws -> Waveform {
        let reader = MemoryReader(bytes: [UInt8](data))
        var io = SF_VIRTUAL_IO(
            get_filelen: { user in MemoryReader.from(user).length },
            seek: { offset, whence, user in MemoryReader.from(user).seek(offset, whence) },
            read: { ptr, count, user in MemoryReader.from(user).read(into: ptr, count) },
            write: { _, _, _ in 0 },
            tell: { user in MemoryReader.from(user).position })
        var info = SF_INFO()
        let opaque = Unmanaged.passUnretained(reader).toOpaque()
        let file = withExtendedLifetime(reader) { sf_open_virtual(&io, Int32(SFM_READ), &info, opaque) }
        guard let file else {
            throw AudioError(.unreadable, source: name, "cannot open: \(String(cString: sf_strerror(nil)))")
        }
        defer { sf_close(file) }
        return try withExtendedLifetime(reader) { try read(file, info: info, source: name, limits: limits) }
    }

    /// Validates the header, then reads all frames in chunks and de-interleaves them.
    private static func read(_ file: OpaquePointer, info: SF_INFO, source: String, limits: Limits) throws -> Waveform {
        let rate = Int(info.samplerate), channels = Int(info.channels), frames = Int(info.frames)
        guard limits.sampleRates.contains(rate) else {
            throw AudioError(.badSampleRate, source: source,
                             "sample rate \(rate) Hz outside \(limits.sampleRates.lowerBound)...\(limits.sampleRates.upperBound)")
        }
        guard channels >= 1 && channels <= limits.maxChannels else {
            throw AudioError(.badChannelCount, source: source, "\(channels) channels, expected 1...\(limits.maxChannels)")
        }
        guard frames >= 0 else { throw AudioError(.corrupt, source: source, "negative frame count \(frames) in header") }
        guard frames > 0 else { throw AudioError(.empty, source: source, "no audio frames") }
        // libsndfile reports SF_COUNT_MAX when it cannot find the end of the stream
        // (an OGG file cut before its last page).
        guard Int64(frames) != Int64.max else {
            throw AudioError(.corrupt, source: source, "stream length unknown: the file is truncated or was never finalized")
        }
        let (total, overflow) = frames.multipliedReportingOverflow(by: channels)
        guard !overflow && total <= limits.maxSamples else {
            throw AudioError(.tooLong, source: source,
                             "header declares \(frames) frames x \(channels) channels, above the limit of \(limits.maxSamples) samples")
        }
        if let problem = truncationNote(file) {
            throw AudioError(.corrupt, source: source, "truncated or corrupt: \(problem)")
        }

        let out = Tensor(uninitialized: [channels, frames])
        let dst = out.pointer
        let chunk = 16_384
        var buffer = [Float](repeating: 0, count: chunk * channels)
        var done = 0
        while done < frames {
            let want = min(chunk, frames - done)
            let got = buffer.withUnsafeMutableBufferPointer { sf_readf_float(file, $0.baseAddress, sf_count_t(want)) }
            let err = sf_error(file)
            if err != 0 {
                throw AudioError(.corrupt, source: source,
                                 "read error after frame \(done): \(String(cString: sf_error_number(err)))")
            }
            if got <= 0 { break }
            let n = Int(got)
            for f in 0..<n {
                for c in 0..<channels { dst[c * frames + done + f] = buffer[f * channels + c] }
            }
            done += n
        }
        guard done == frames else {
            throw AudioError(.corrupt, source: source, "truncated: header declares \(frames) frames, data holds \(done)")
        }
        for i in 0..<(frames * channels) where !dst[i].isFinite {
            throw AudioError(.corrupt, source: source, "non-finite sample at index \(i % frames) of channel \(i / frames)")
        }
        return Waveform(samples: out, sampleRate: rate)
    }

    /// libsndfile repairs a WAV/AIFF data chunk that claims more bytes than the
    /// file holds and only notes it in its log ("data : N (should be M)"); such a
    /// file is truncated. A RIFF size mismatch alone (common from streaming
    /// writers) is accepted.
    private static func truncationNote(_ file: OpaquePointer) -> String? {
        var log = [CChar](repeating: 0, count: 4096)
        _ = sf_command(file, Int32(SFC_GET_LOG_INFO), &log, Int32(log.count))
        let text = log.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        for line in text.split(separator: "\n") {
            let l = line.trimmingCharacters(in: .whitespaces)
            let lower = l.lowercased()
            if (lower.hasPrefix("data") || lower.hasPrefix("ssnd")) && lower.contains("should be") { return l }
            if lower.contains("truncated") { return l }
        }
        return nil
    }
}

/// Byte source for `sf_open_virtual`: libsndfile calls back with a pointer to it.
private final class MemoryReader {
    let bytes: [UInt8]
    var offset: Int64 = 0
    init(bytes: [UInt8]) { self.bytes = bytes }

    static func from(_ user: UnsafeMutableRawPointer?) -> MemoryReader {
        Unmanaged<MemoryReader>.fromOpaque(user!).takeUnretainedValue()
    }

    var length: sf_count_t { sf_count_t(bytes.count) }
    var position: sf_count_t { offset }

    func seek(_ delta: sf_count_t, _ whence: Int32) -> sf_count_t {
        let base: Int64
        switch whence {
        case SEEK_SET: base = 0
        case SEEK_CUR: base = offset
        case SEEK_END: base = Int64(bytes.count)
        default: return -1
        }
        let target = base + delta
        guard target >= 0 else { return -1 }
        offset = min(target, Int64(bytes.count))
        return offset
    }

    func read(into ptr: UnsafeMutableRawPointer?, _ count: sf_count_t) -> sf_count_t {
        guard let ptr, count > 0, offset < Int64(bytes.count) else { return 0 }
        let n = Int(min(count, Int64(bytes.count) - offset))
        bytes.withUnsafeBytes { src in ptr.copyMemory(from: src.baseAddress! + Int(offset), byteCount: n) }
        offset += Int64(n)
        return sf_count_t(n)
    }
}
