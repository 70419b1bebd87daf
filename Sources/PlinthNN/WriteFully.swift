#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes all of `bytes` to the file descriptor `fd`, continuing short writes
/// (one write(2) moves at most 0x7ffff000 bytes on Linux) and retrying `EINTR`.
/// Returns 0, or the `errno` of the write that failed; callers turn it into
/// their own error, naming the file.
public func writeFully(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32 {
    var done = 0
    while done < bytes.count {
        let written = write(fd, bytes.baseAddress! + done, bytes.count - done)
        if written < 0 {
            if errno == EINTR { continue }
            return errno
        }
        done += written
    }
    return 0
}
