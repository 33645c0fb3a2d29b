import Foundation
import TensorCore

/// The STREAM triad `a[i] = b[i] + s·c[i]` on the host, every core a contiguous slice: the
/// memory bandwidth a CPU program gets beyond the caches, beside which the memory-bound device
/// kernels are judged (the goal: ≥ 70% of it). Bytes as STREAM counts them, 12 per element
/// (two reads and one write; the write-allocate read is not counted). Inputs are small integers
/// and s = 3, so every output is exact and checked exactly.
final class HostStreamTriad {
    static let scalar: Float = 3
    let count: Int
    let threads: Int
    private let a: UnsafeMutablePointer<Float>, b: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>

    var name: String { "host STREAM triad (\(threads) threads)" }
    var bytes: Double { 12 * Double(count) }

    init(count: Int, threads: Int = ProcessInfo.processInfo.activeProcessorCount, seed: UInt64) {
        self.count = count
        self.threads = max(1, threads)
        a = .allocate(capacity: count); b = .allocate(capacity: count); c = .allocate(capacity: count)
        var rng = SeededRandom(seed: seed)
        let (bValues, cValues) = (rng.integers(count), rng.integers(count))
        for i in 0..<count { a[i] = 0; b[i] = bValues[i]; c[i] = cValues[i] }
    }

    deinit { a.deallocate(); b.deallocate(); c.deallocate() }

    /// The three arrays, shared with the worker threads (each writes only its own slice of `a`).
    private struct Arrays: @unchecked Sendable {
        let a: UnsafeMutablePointer<Float>, b: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>
    }

    /// One triad over every element.
    func run() {
        let arrays = Arrays(a: a, b: b, c: c)
        let (count, threads, s) = (count, threads, Self.scalar)
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            let (a, b, c) = (arrays.a, arrays.b, arrays.c)
            let start = count * t / threads, end = count * (t + 1) / threads
            for i in start..<end { a[i] = b[i] + s * c[i] }
        }
    }

    /// `a` against `b + s·c` at sampled elements, exactly.
    func check() -> CheckOutcome {
        let indices = CheckOutcome.sampleIndices(count: count, samples: 4096)
        let values = Array(UnsafeBufferPointer(start: a, count: count))
        return .compareSampled(
            values, indices: indices, expected: { Double(self.b[$0]) + Double(Self.scalar) * Double(self.c[$0]) },
            tolerance: .exact, method: "\(indices.count) sampled elements vs b + 3c")
    }

    /// As a comparator of a memory-bound case, with its own bytes and host-clock timing.
    var contender: Contender {
        Contender(name: name, work: .bytes(bytes), timing: .hostClock, run: { self.run() }, check: { self.check() })
    }
}
