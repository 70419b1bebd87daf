import Foundation

/// A 64-byte aligned buffer of Float32 values shared by a tensor and its views.
///
/// Buffers come from `BufferCache`, so a training loop that allocates the same
/// shapes every step reuses memory instead of calling malloc. Contents of a new
/// storage are undefined; use `Storage(zeroed:)` when zeros are needed.
public final class Storage: @unchecked Sendable {
    /// Number of Float32 elements.
    public let count: Int
    /// First element; valid for `count` elements while the storage lives.
    public let pointer: UnsafeMutablePointer<Float>

    public init(count: Int) {
        precondition(count >= 0, "Storage: negative element count \(count)")
        self.count = count
        self.pointer = BufferCache.shared.allocate(count)
    }

    public convenience init(zeroed count: Int) {
        self.init(count: count)
        pointer.initialize(repeating: 0, count: count)
    }

    deinit { BufferCache.shared.release(pointer, count) }
}

/// A size-keyed free list of aligned buffers.
///
/// Buffers are rounded up to 16 floats and kept per rounded size. The cache
/// holds at most `limitBytes` (env `PLINTH_CACHE_MB`, default 2048); beyond it
/// released buffers are freed at once.
public final class BufferCache: @unchecked Sendable {
    public static let shared = BufferCache()

    private let lock = NSLock()
    private var free: [Int: [UnsafeMutablePointer<Float>]] = [:]
    private var cachedBytes = 0
    public let limitBytes: Int

    init() {
        let mb = ProcessInfo.processInfo.environment["PLINTH_CACHE_MB"].flatMap(Int.init) ?? 2048
        limitBytes = max(0, mb) << 20
    }

    private static func rounded(_ count: Int) -> Int { max(16, (count + 15) & ~15) }

    func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        let size = Self.rounded(count)
        lock.lock()
        if let p = free[size]?.popLast() {
            cachedBytes -= size * 4
            lock.unlock()
            return p
        }
        lock.unlock()
        let raw = UnsafeMutableRawPointer.allocate(byteCount: size * 4, alignment: 64)
        return raw.bindMemory(to: Float.self, capacity: size)
    }

    func release(_ pointer: UnsafeMutablePointer<Float>, _ count: Int) {
        let size = Self.rounded(count)
        lock.lock()
        if cachedBytes + size * 4 <= limitBytes {
            free[size, default: []].append(pointer)
            cachedBytes += size * 4
            lock.unlock()
        } else {
            lock.unlock()
            pointer.deallocate()
        }
    }

    /// Frees every cached buffer (live tensors are unaffected).
    public func empty() {
        lock.lock()
        let all = free.values.flatMap { $0 }
        free.removeAll()
        cachedBytes = 0
        lock.unlock()
        for p in all { p.deallocate() }
    }
}
