import Dispatch
import Foundation

/// `Float(byte) / 255` for every byte value: exact and cheaper than dividing per pixel.
private let unitPixelTable: [Float] = (0...255).map { Float($0) / 255 }

/// Pixel bytes scaled to [0, 1], in a preallocated array.
func unitFloats(fromPixels pixels: UnsafeBufferPointer<UInt8>) -> [Float] {
    [Float](unsafeUninitializedCapacity: pixels.count) { output, initialized in
        writeUnitFloats(fromPixels: pixels, into: output)
        initialized = pixels.count
    }
}

/// Writes `pixels` scaled to [0, 1] into `output` (at least as long as `pixels`).
func writeUnitFloats(fromPixels pixels: UnsafeBufferPointer<UInt8>, into output: UnsafeMutableBufferPointer<Float>) {
    precondition(output.count >= pixels.count, "output buffer too small")
    unitPixelTable.withUnsafeBufferPointer { table in
        for i in 0..<pixels.count { output[i] = table[Int(pixels[i])] }
    }
}

/// The big-endian `UInt32` at `offset` (caller checks bounds).
func bigEndianUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
    UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
}

/// The product of `factors`, or nil on overflow.
func checkedProduct(_ factors: [Int]) -> Int? {
    var product = 1
    for factor in factors {
        let (result, overflow) = product.multipliedReportingOverflow(by: factor)
        if overflow { return nil }
        product = result
    }
    return product
}

/// `transform` applied to every element on up to all cores; results in input order. If any
/// call throws, the error of the lowest index is rethrown (deterministic messages).
func concurrentMap<Element: Sendable, Result: Sendable>(
    _ elements: [Element], _ transform: @Sendable (Element) throws -> Result
) throws -> [Result] {
    let results = LockedResults<Result>(count: elements.count)
    DispatchQueue.concurrentPerform(iterations: elements.count) { index in
        results.set(index, Swift.Result { try transform(elements[index]) })
    }
    return try results.values().map { try $0.get() }
}

/// Results written from several threads under a lock.
private final class LockedResults<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Swift.Result<Value, any Error>?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ result: Swift.Result<Value, any Error>) {
        lock.lock()
        slots[index] = result
        lock.unlock()
    }

    func values() -> [Swift.Result<Value, any Error>] {
        lock.lock()
        defer { lock.unlock() }
        return slots.map { $0 ?? .failure(DatasetError.invalidArgument("internal error: missing result")) }
    }
}

/// The names of the entries of `directory`, or an empty list when it cannot be listed.
func directoryEntries(_ directory: URL) -> Set<String> {
    Set((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
}
