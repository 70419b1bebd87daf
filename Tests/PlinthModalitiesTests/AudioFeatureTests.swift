import Foundation
import PlinthModalities
import PlinthNN
import PlinthTensor
import XCTest

/// Decoding, resampling and features against torchaudio / soundfile / Whisper references.
final class AudioFeatureTests: XCTestCase {
    func testDecodeMatchesSoundfile() throws {
        let g = try AudioFixtures.golden()
        for name in AudioFixtures.files.keys.sorted() {
            let audio = try AudioDecoder.decode(path: AudioFixtures.path(name))
            let ref = try g.tensor("decoded.\(name)")
            XCTAssertEqual(audio.samples.shape, ref.shape, name)
            XCTAssertEqual(audio.sampleRate, AudioFixtures.rates[name.replacingOccurrences(of: "_float", with: "")], name)
            let d = audioDiff(audio.samples.toArray(), ref.toArray())
            // PCM and FLAC decode exactly; Vorbis may differ in the last bits between libvorbis builds.
            XCTAssertLessThanOrEqual(d.max, name == "s48k" ? 1e-4 : 0, "\(name): max \(d.max)")
            print("decode \(name): max \(d.max) rms \(d.rms)")
        }
    }

    func testDecodeFromMemoryEqualsFile() throws {
        for name in ["s8k", "s22k", "s48k"] {
            let data = try Data(contentsOf: URL(fileURLWithPath: AudioFixtures.path(name)))
            let a = try AudioDecoder.decode(data: data, name: name)
            let b = try AudioDecoder.decode(path: AudioFixtures.path(name))
            XCTAssertEqual(a.samples.toArray(), b.samples.toArray(), name)
            XCTAssertEqual(a.sampleRate, b.sampleRate)
        }
    }

    func testMonoIsChannelMean() throws {
        let audio = try AudioDecoder.decode(path: AudioFixtures.path("s44k"))
        XCTAssertEqual(audio.channels, 2)
        let mono = audio.mono()
        let l = audio.channel(0), r = audio.channel(1), m = mono.channel(0)
        for i in stride(from: 0, to: m.count, by: 997) { XCTAssertEqual(m[i], (l[i] + r[i]) / 2, accuracy: 1e-7) }
    }

    func testResampleMatchesTorchaudio() throws {
        let g = try AudioFixtures.golden()
        for (name, rate) in AudioFixtures.rates.sorted(by: { $0.key < $1.key }) {
            let mono = try g.tensor("decoded.\(name)").toArray().chunked(AudioFixtures.rates[name] == 44100 ? 2 : 1)
            let y = try Resampler(from: rate, to: 16000)(mono)
            let ref = try g.floats("resampled.\(name)")
            XCTAssertEqual(y.count, ref.count, name)
            let d = audioDiff(y, ref)
            print("resample \(name) \(rate)->16000: max \(d.max) rms \(d.rms)")
            XCTAssertLessThan(d.rms, 1e-5, name)
            XCTAssertLessThan(d.max, 1e-4, name)
        }
        let x = try g.tensor("decoded.s22k").toArray()
        let y = try Resampler(from: 22050, to: 8000)(x)
        let d = audioDiff(y, try g.floats("resampled.s22k_to_8000"))
        print("resample s22k 22050->8000: max \(d.max) rms \(d.rms)")
        XCTAssertLessThan(d.rms, 1e-5)
    }

    /// `limit` computes a prefix of the same output; `shared` builds the same kernel once.
    func testResampleLimitIsACropAndSharedIsTheSameFilter() throws {
        let x = try AudioFixtures.golden().tensor("decoded.s22k").toArray()
        let resampler = try Resampler(from: 22050, to: 16000)
        let whole = resampler(x)
        XCTAssertEqual(resampler(x, limit: 1000), Array(whole.prefix(1000)))
        XCTAssertEqual(resampler(x, limit: whole.count + 5), whole)
        XCTAssertEqual(resampler(x, limit: 0), [])
        XCTAssertEqual(try Resampler.shared(from: 22050, to: 16000).kernel, resampler.kernel)
    }

    /// Against torchaudio's fbank run in float64 (the algorithm's exact value).
    func testKaldiFbankMatchesTorchaudio() throws {
        let g = try AudioFixtures.golden()
        let fbank = KaldiFbank(sampleRate: 16000, melBins: 128)
        for name in AudioFixtures.rates.keys.sorted() {
            let out = fbank(try g.floats("resampled.\(name)"))
            let ref = try g.tensor("fbank.\(name)")
            XCTAssertEqual(out.shape, ref.shape, name)
            let d = audioDiff(out.toArray(), ref.toArray())
            print("fbank \(name): max \(d.max) rms \(d.rms)")
            XCTAssertLessThan(d.max, 1e-4, name)
        }
    }

    /// Against torchaudio's float32 fbank, whose own rounding reaches 2.6e-3 in
    /// bands with energy near the 1.19e-7 floor: 1e-3 wherever log energy > -11.
    func testKaldiFbankMatchesFloat32Torchaudio() throws {
        let g = try AudioFixtures.golden()
        let out = KaldiFbank()(try g.floats("resampled.s8k")).toArray()
        let ref = try g.floats("fbank32.s8k")
        let loud = zip(out, ref).filter { $0.1 > -11 }
        let d = audioDiff(loud.map(\.0), loud.map(\.1)), all = audioDiff(out, ref)
        print("fbank32 s8k: max \(d.max) rms \(d.rms) where > -11 (\(loud.count) of \(ref.count)); all: max \(all.max)")
        XCTAssertLessThan(d.max, 1e-3)
        XCTAssertLessThan(all.max, 5e-3)
    }

    func testImageBindFeaturesMatchReference() throws {
        let g = try AudioFixtures.golden()
        let features = ImageBindFbank()
        for name in ["s44k", "s8k"] {
            let out = features(try g.floats("resampled.\(name)"))
            let ref = try g.tensor("imagebind.\(name)")
            XCTAssertEqual(out.shape, [128, 204])
            let d = audioDiff(out.toArray(), ref.toArray())
            print("imagebind \(name): max \(d.max) rms \(d.rms)")
            XCTAssertLessThan(d.max, 1e-3, name)
        }
    }

    /// Decode -> mono -> resample -> ImageBind features, end to end from the file.
    func testImageBindPipelineFromFile() throws {
        let g = try AudioFixtures.golden()
        let audio = try AudioDecoder.decode(path: AudioFixtures.path("s44k")).mono()
        let wave16 = try Resampler(from: audio.sampleRate, to: 16000)(audio)
        let out = try ImageBindFbank()(wave16)
        let d = audioDiff(out.toArray(), try g.floats("imagebind.s44k"))
        print("imagebind pipeline s44k: max \(d.max) rms \(d.rms)")
        XCTAssertLessThan(d.max, 1e-3)
    }

    func testWhisperLogMelMatchesReference() throws {
        let g = try AudioFixtures.golden()
        let mel80 = WhisperLogMel(melBins: 80), mel128 = WhisperLogMel(melBins: 128)
        var cases: [(String, WhisperLogMel, String)] = AudioFixtures.rates.keys.sorted().map { ("logmel80.\($0)", mel80, $0) }
        cases += [("logmel128.s8k", mel128, "s8k"), ("logmel128.s48k", mel128, "s48k")]
        for (key, mel, name) in cases {
            let out = try mel(try g.floats("resampled.\(name)"))
            let ref = try g.tensor(key)
            XCTAssertEqual(out.shape, ref.shape, key)
            let d = audioDiff(out.toArray(), ref.toArray())
            print("\(key): max \(d.max) rms \(d.rms)")
            XCTAssertLessThan(d.max, 1e-3, key)
        }
    }

    func testFFTMatchesNaiveDFT() {
        for n in [1, 2, 8, 12, 210, 400, 512, 97, 202] {
            let fft = FFT(n)
            var re = (0..<n).map { sin(Double($0) * 0.37) + 0.1 * Double($0 % 7) }
            var im = (0..<n).map { cos(Double($0) * 0.11) }
            let (r0, i0) = (re, im)
            fft.forward(re: &re, im: &im)
            var worst = 0.0
            for k in 0..<n {
                var sr = 0.0, si = 0.0
                for j in 0..<n {
                    let a = -2 * Double.pi * Double(j * k % n) / Double(n)
                    sr += r0[j] * cos(a) - i0[j] * sin(a)
                    si += r0[j] * sin(a) + i0[j] * cos(a)
                }
                worst = max(worst, abs(sr - re[k]), abs(si - im[k]))
            }
            XCTAssertLessThan(worst, 1e-9 * Double(n), "n = \(n)")
        }
    }

    /// The real-input power spectrum (half-length packing for even n) equals |forward|^2.
    func testPowerSpectrumMatchesComplexTransform() {
        for n in [9, 97, 400, 512] {
            let fft = FFT(n)
            let frame = (0..<n).map { sin(Double($0) * 0.29) + 0.05 * Double($0 % 5) }
            var re = frame, im = [Double](repeating: 0, count: n)
            fft.forward(re: &re, im: &im)
            let power = fft.powerSpectrum(frame)
            XCTAssertEqual(power.count, n / 2 + 1)
            for k in 0...(n / 2) {
                XCTAssertEqual(power[k], re[k] * re[k] + im[k] * im[k], accuracy: 1e-9 * Double(n), "n = \(n), k = \(k)")
            }
        }
    }
}

private extension Array where Element == Float {
    /// Mean over `channels` consecutive channel rows of length count / channels.
    func chunked(_ channels: Int) -> [Float] {
        if channels == 1 { return self }
        let n = count / channels
        return (0..<n).map { i in (0..<channels).reduce(Float(0)) { $0 + self[$1 * n + i] } / Float(channels) }
    }
}
