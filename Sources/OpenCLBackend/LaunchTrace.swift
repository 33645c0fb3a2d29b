import Foundation

/// Records the kernel launches of an `OpenCLBackend` while attached
/// (`backend.launchTrace = LaunchTrace()`): which kernel ran with which `-D` defines and sizes.
/// For tests and debugging — e.g. that tuned tile sizes reach the launched GEMM.
public final class LaunchTrace: @unchecked Sendable {
    /// One launch.
    public struct Launch: Sendable, Hashable {
        public let file: String
        public let kernel: String
        public let defines: [String: String]
        public let global: [Int]
        public let local: [Int]?
    }

    private var recorded: [Launch] = []
    private let lock = NSLock()

    public init() {}

    func record(file: String, kernel: String, defines: [String: String], global: [Int], local: [Int]?) {
        lock.lock()
        recorded.append(Launch(file: file, kernel: kernel, defines: defines, global: global, local: local))
        lock.unlock()
    }

    /// Every launch so far, in order.
    public var launches: [Launch] {
        lock.lock()
        defer { lock.unlock() }
        return recorded
    }

    /// The launches of `kernel`, in order.
    public func launches(of kernel: String) -> [Launch] { launches.filter { $0.kernel == kernel } }

    public func reset() {
        lock.lock()
        recorded.removeAll()
        lock.unlock()
    }
}
