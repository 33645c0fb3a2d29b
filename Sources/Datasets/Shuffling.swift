import TensorCore

/// A permutation of `0..<count` that depends only on `seed`: Fisher–Yates driven by
/// `SeededRandom` with an unbiased bounded draw implemented here (not `Int.random(in:using:)`,
/// whose algorithm the standard library does not promise to keep), so orders are reproducible
/// across platforms and Swift versions.
public func seededPermutation(count: Int, seed: UInt64) -> [Int] {
    var order = Array(0..<max(count, 0))
    var random = SeededRandom(seed: seed)
    order.withUnsafeMutableBufferPointer { buffer in
        var i = buffer.count - 1
        while i > 0 {
            let j = random.index(below: i + 1)
            buffer.swapAt(i, j)
            i -= 1
        }
    }
    return order
}

/// A seed for one purpose (`stream`) of one epoch of a run seeded with `seed`: well-mixed, so
/// epochs and purposes draw independent sequences, and computable without replaying earlier
/// epochs — which is what lets training resume at any epoch.
public func derivedSeed(_ seed: UInt64, epoch: Int, stream: UInt64 = 0) -> UInt64 {
    var random = SeededRandom(seed: seed ^ 0x6A09_E667_F3BC_C908)
    var mixed = random.next() ^ UInt64(bitPattern: Int64(epoch))
    random = SeededRandom(seed: mixed)
    mixed = random.next() ^ (stream &* 0x9E37_79B9_7F4A_7C15)
    random = SeededRandom(seed: mixed)
    return random.next()
}

extension SeededRandom {
    /// Uniform in `0..<bound` without modulo bias (Lemire's multiply-and-reject).
    mutating func index(below bound: Int) -> Int {
        precondition(bound > 0, "bound must be positive")
        let range = UInt64(bound)
        var product = next().multipliedFullWidth(by: range)
        if product.low < range {
            let threshold = (0 &- range) % range
            while product.low < threshold { product = next().multipliedFullWidth(by: range) }
        }
        return Int(product.high)
    }

    /// True with probability ½.
    mutating func coinFlip() -> Bool { next() >> 63 == 1 }
}
