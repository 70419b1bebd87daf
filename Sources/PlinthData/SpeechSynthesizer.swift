import Foundation

/// Spoken captions from espeak-ng (Debian package espeak-ng): 16-bit mono WAV
/// at 22,050 Hz, as `espeak-ng -v en-us+f3 -s 150 -p 60 -w out.wav "text"`.
///
/// The text follows `--`, so a caption starting with `-` is never read as an
/// option. Each file is written atomically.
public struct SpeechSynthesizer: Sendable {
    public var voice: String
    /// Words per minute.
    public var speed: Int
    /// 0 to 99.
    public var pitch: Int
    /// The espeak-ng program; nil looks it up on `PATH`.
    public var executable: URL?

    public init(voice: String = "en-us+f3", speed: Int = 150, pitch: Int = 60, executable: URL? = nil) {
        self.voice = voice
        self.speed = speed
        self.pitch = pitch
        self.executable = executable
    }

    /// The espeak-ng program, or an error saying how to install it.
    public func program() throws -> URL {
        if let executable, FileManager.default.isExecutableFile(atPath: executable.path) { return executable }
        if executable == nil, let found = Subprocess.find("espeak-ng") { return found }
        throw DataError(.tool, source: executable?.path ?? "espeak-ng",
                        "espeak-ng not found; install the Debian package espeak-ng (run scripts/setup.sh)")
    }

    /// Speaks `text` into the WAV file `url` (replaced atomically).
    public func synthesize(_ text: String, to url: URL) throws {
        try synthesize(text, to: url, program: program())
    }

    /// Synthesizes every `(text, url)` pair, running up to `concurrency`
    /// espeak-ng processes at once. `progress` gets `(done, jobs.count)` after
    /// each file. On failure the remaining jobs are skipped and the error of
    /// the earliest failed job is thrown.
    public func synthesize(_ jobs: [(text: String, url: URL)],
                           concurrency: Int = ProcessInfo.processInfo.activeProcessorCount,
                           progress: ProgressHandler? = nil) throws {
        guard !jobs.isEmpty else { return }
        let program = try program()
        let state = JobState(total: jobs.count, progress: progress)
        DispatchQueue.concurrentPerform(iterations: max(1, min(concurrency, jobs.count))) { _ in
            while let i = state.claim() {
                do {
                    try synthesize(jobs[i].text, to: jobs[i].url, program: program)
                    state.finished()
                } catch {
                    state.failed(i, error)
                }
            }
        }
        if let error = state.error { throw error }
    }

    private func synthesize(_ text: String, to url: URL, program: URL) throws {
        try AtomicFile.produce(url) { temp in
            let args = ["-v", voice, "-s", String(speed), "-p", String(pitch), "-w", temp.path, "--", text]
            let result = try Subprocess.run(program, args, source: url.path)
            let size = (try? FileManager.default.attributesOfItem(atPath: temp.path)[.size] as? Int) ?? 0
            guard result.status == 0, size > 44 else {
                throw DataError(.tool, source: url.path,
                                "espeak-ng failed (status \(result.status), \(size) bytes written) for '\(text)': \(result.stderr)")
            }
        }
    }

    /// The shared job counter, progress count and first error of a synthesis run.
    private final class JobState: @unchecked Sendable {
        private let lock = NSLock()
        private var next = 0, done = 0
        private var failure: (index: Int, error: Error)?
        let total: Int
        let progress: ProgressHandler?

        init(total: Int, progress: ProgressHandler?) {
            self.total = total
            self.progress = progress
        }

        func claim() -> Int? {
            lock.lock(); defer { lock.unlock() }
            guard failure == nil, next < total else { return nil }
            next += 1
            return next - 1
        }

        func finished() {
            lock.lock(); defer { lock.unlock() }
            done += 1
            progress?(done, total)
        }

        func failed(_ index: Int, _ error: Error) {
            lock.lock(); defer { lock.unlock() }
            if failure == nil || index < failure!.index { failure = (index, error) }
        }

        var error: Error? { lock.lock(); defer { lock.unlock() }; return failure?.error }
    }
}
