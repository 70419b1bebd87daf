import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A graceful stop for training on SIGINT (Ctrl-C) and SIGTERM (schedulers,
/// `kill`).
///
/// After ``install()``, the first signal only sets ``isRequested`` (and says so
/// on standard error), so the trainer can finish its step, save a checkpoint
/// and exit cleanly; a second signal ends the process at once with `_exit`,
/// status 128 + the signal number (130 for SIGINT). The flag is an atomic, read
/// from any thread; the handler does only async-signal-safe work (atomic
/// operations, `write`, `_exit`). Handlers are process-wide, so this is a
/// namespace rather than a value.
///
/// Tests trigger it with `raise(SIGINT)` after ``install()``, which runs the
/// handler before returning, then call ``reset()``.
public enum Interrupt {
    /// The signals handled: SIGINT and SIGTERM.
    public static let signals: [Int32] = [SIGINT, SIGTERM]

    fileprivate static let received = Atomic<Int>(0)
    fileprivate static let firstSignal = Atomic<Int32>(0)
    fileprivate static let announces = Atomic<Bool>(true)
    private static let previous = Mutex<[Int32: sigaction]>([:])  // non-empty while installed

    /// Whether a stop was requested since ``install()`` or the last ``reset()``.
    public static var isRequested: Bool { received.load(ordering: .acquiring) > 0 }

    /// The first signal received, or nil if none.
    public static var signal: Int32? {
        let signo = firstSignal.load(ordering: .acquiring)
        return signo == 0 ? nil : signo
    }

    /// Installs the handlers for ``signals``, saving the previous ones for
    /// ``uninstall()``. Does nothing if already installed.
    ///
    /// - Parameter announce: whether the first signal writes a line to standard
    ///   error saying the run will stop after this step.
    public static func install(announce: Bool = true) {
        previous.withLock { saved in
            guard saved.isEmpty else { return }
            // Initialize the statics here: lazy initialization is not async-signal-safe.
            _ = received.load(ordering: .relaxed)
            _ = firstSignal.load(ordering: .relaxed)
            announces.store(announce, ordering: .releasing)
            var action = sigaction()
            action.__sigaction_handler.sa_handler = handleInterrupt
            sigemptyset(&action.sa_mask)
            for signo in signals { sigaddset(&action.sa_mask, signo) }  // one handler runs at a time
            action.sa_flags = SA_RESTART  // interrupted reads and writes resume rather than fail with EINTR
            for signo in signals {
                var old = sigaction()
                guard sigaction(signo, &action, &old) == 0 else {
                    preconditionFailure("sigaction(\(signo)) failed: errno \(errno)")
                }
                saved[signo] = old
            }
        }
    }

    /// Restores the handlers that ``install()`` replaced. Keeps ``isRequested``.
    /// Does nothing if not installed.
    public static func uninstall() {
        previous.withLock { saved in
            for (signo, old) in saved {
                var old = old
                sigaction(signo, &old, nil)
            }
            saved.removeAll()
        }
    }

    /// Clears the request, so the next signal counts as the first again.
    public static func reset() {
        received.store(0, ordering: .releasing)
        firstSignal.store(0, ordering: .releasing)
    }
}

/// The signal handler: async-signal-safe calls only.
private func handleInterrupt(_ signo: Int32) {
    // The signal number first, so a reader who sees `isRequested` also sees `signal`.
    _ = Interrupt.firstSignal.compareExchange(expected: 0, desired: signo, ordering: .sequentiallyConsistent)
    guard Interrupt.received.wrappingAdd(1, ordering: .sequentiallyConsistent).newValue == 1 else {
        _exit(128 + signo)
    }
    if Interrupt.announces.load(ordering: .relaxed) {
        let announcement: StaticString =
            "\ninterrupted: finishing this step and saving a checkpoint; interrupt again to exit at once\n"
        _ = write(STDERR_FILENO, announcement.utf8Start, announcement.utf8CodeUnitCount)
    }
}
