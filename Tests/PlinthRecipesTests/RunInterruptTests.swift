import Foundation
import PlinthRecipes
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Interrupt: the first SIGINT or SIGTERM sets the flag (seen from other
/// threads), uninstall restores the previous handler, and a second signal ends
/// the process with 128 + the signal number (checked in a child process).
final class RunInterruptTests: XCTestCase {
    private static let childVariable = "PLINTH_INTERRUPT_TEST_CHILD"

    override func tearDown() {
        Interrupt.uninstall()
        Interrupt.reset()
    }

    func testFirstSignalSetsTheFlagUntilReset() {
        Interrupt.install(announce: false)
        XCTAssertFalse(Interrupt.isRequested)
        XCTAssertNil(Interrupt.signal)
        raise(SIGINT)
        XCTAssertTrue(Interrupt.isRequested)
        XCTAssertEqual(Interrupt.signal, SIGINT)
        Interrupt.reset()
        XCTAssertFalse(Interrupt.isRequested)
        XCTAssertNil(Interrupt.signal)

        raise(SIGTERM)
        XCTAssertTrue(Interrupt.isRequested)
        XCTAssertEqual(Interrupt.signal, SIGTERM)
    }

    func testFlagIsSeenFromAnotherThread() {
        Interrupt.install(announce: false)
        let seen = expectation(description: "another thread sees the request")
        Thread.detachNewThread {
            while !Interrupt.isRequested { usleep(1000) }
            seen.fulfill()
        }
        raise(SIGINT)
        wait(for: [seen], timeout: 10)
    }

    func testUninstallRestoresThePreviousHandler() {
        signal(SIGTERM, SIG_IGN)
        defer { signal(SIGTERM, SIG_DFL) }
        Interrupt.install(announce: false)
        Interrupt.install(announce: false)  // a second install must not save its own handler as the previous one
        Interrupt.uninstall()
        raise(SIGTERM)  // ignored again; the test process would die if the default action were back
        XCTAssertFalse(Interrupt.isRequested)
        var current = sigaction()
        sigaction(SIGTERM, nil, &current)
        XCTAssertEqual(unsafeBitCast(current.__sigaction_handler.sa_handler, to: Int.self),
                       unsafeBitCast(SIG_IGN, to: Int.self))
    }

    func testSecondSignalExitsImmediately() throws {
        for (signo, status) in [(SIGINT, Int32(130)), (SIGTERM, Int32(143))] {
            let child = Process()
            child.executableURL = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            child.arguments = ["PlinthRecipesTests.RunInterruptTests/testChildRaisesTwice"]
            child.environment = ProcessInfo.processInfo.environment.merging([Self.childVariable: String(signo)]) { $1 }
            let errors = Pipe()
            child.standardError = errors
            child.standardOutput = FileHandle.nullDevice
            try child.run()
            let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            child.waitUntilExit()
            XCTAssertEqual(child.terminationReason, .exit, "signal \(signo)")
            XCTAssertEqual(child.terminationStatus, status, "signal \(signo); child's stderr:\n\(stderr)")
            XCTAssertTrue(stderr.contains("interrupted: finishing this step"), stderr)
        }
    }

    /// Runs only as the child of ``testSecondSignalExitsImmediately()``.
    func testChildRaisesTwice() throws {
        let value = ProcessInfo.processInfo.environment[Self.childVariable]
        guard let signo = value.flatMap(Int32.init) else { throw XCTSkip("runs only in the child process of testSecondSignalExitsImmediately") }
        Interrupt.install()
        raise(signo)
        guard Interrupt.isRequested else { exit(3) }
        raise(signo)
        exit(4)  // not reached: the second signal exits with 128 + signo
    }
}
