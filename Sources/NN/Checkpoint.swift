import Foundation
import TensorCore

/// A training checkpoint: named Float32 tensors (parameters, batch-norm statistics, optimizer
/// state) plus JSON metadata (architecture, epoch, step, configuration).
///
/// File layout: the 8-byte magic `DNASCKP1`, a little-endian UInt64 header length, the JSON
/// header `{"metadata": {…}, "tensors": [{"name", "shape", "offset"}], "checksum": "…"}`,
/// then the tensors' raw little-endian data. The checksum (FNV-1a 64 over the data) detects
/// truncation and corruption. Written atomically: a temporary file renamed over the target,
/// so a crash mid-write never destroys the previous checkpoint.
public struct Checkpoint {
    public static let magic = Array("DNASCKP1".utf8)

    public var metadata: [String: String]
    public var tensors: [(name: String, shape: [Int], values: [Float])]

    public init(metadata: [String: String] = [:], tensors: [(name: String, shape: [Int], values: [Float])] = []) {
        self.metadata = metadata; self.tensors = tensors
    }

    /// Encodes configuration records stored in `metadata` with sorted keys, so that the same
    /// run writes the same bytes (a plain `JSONEncoder` orders keys differently per process).
    public static var metadataEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }

    /// The values of tensor `name`, or nil.
    public func tensor(_ name: String) -> (shape: [Int], values: [Float])? {
        tensors.first { $0.name == name }.map { ($0.shape, $0.values) }
    }

    public func encoded() throws -> Data {
        var body = [UInt8]()
        var entries: [[String: Any]] = []
        for t in tensors {
            entries.append(["name": t.name, "shape": t.shape, "offset": body.count / 4])
            body.reserveCapacity(body.count + 4 * t.values.count)
            for v in t.values {
                let b = v.bitPattern
                body += [UInt8(b & 0xFF), UInt8((b >> 8) & 0xFF), UInt8((b >> 16) & 0xFF), UInt8(b >> 24)]
            }
        }
        let header: [String: Any] = ["metadata": metadata, "tensors": entries, "checksum": Checkpoint.checksum(body), "bytes": body.count]
        let json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        var out = Checkpoint.magic
        var length = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &length) { out += $0 }
        out += json
        out += body
        return Data(out)
    }

    /// Writes atomically (temporary file + rename).
    public func write(to url: URL) throws {
        let temp = url.deletingLastPathComponent().appendingPathComponent(
            ".\(url.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)")
        try encoded().write(to: temp)
        // rename(2) replaces the target atomically (FileManager.replaceItemAt fails on Linux).
        guard rename(temp.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temp)
            throw CheckpointError("cannot write checkpoint \(url.path): \(reason)")
        }
    }

    public static func read(contentsOf url: URL) throws -> Checkpoint {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw CheckpointError("\(url.path): cannot read checkpoint (\(error.localizedDescription))")
        }
        return try decode(data, name: url.path)
    }

    public static func decode(_ data: Data, name: String = "checkpoint") throws -> Checkpoint {
        let bytes = [UInt8](data)
        guard bytes.count >= 16, Array(bytes[0..<8]) == magic else {
            throw CheckpointError("\(name): not a DiffNAS checkpoint (bad magic)")
        }
        var length: UInt64 = 0
        for i in 0..<8 { length |= UInt64(bytes[8 + i]) << (8 * UInt64(i)) }
        guard length < UInt64(bytes.count), 16 + Int(length) <= bytes.count else { throw CheckpointError("\(name): truncated header") }
        let headerEnd = 16 + Int(length)
        guard let header = try? JSONSerialization.jsonObject(with: Data(bytes[16..<headerEnd])) as? [String: Any],
            let entries = header["tensors"] as? [[String: Any]], let checksum = header["checksum"] as? String,
            let byteCount = header["bytes"] as? Int
        else {
            throw CheckpointError("\(name): corrupt header")
        }
        guard bytes.count - headerEnd == byteCount else {
            throw CheckpointError("\(name): truncated or padded data (\(bytes.count - headerEnd) bytes, header says \(byteCount))")
        }
        let body = Array(bytes[headerEnd...])
        guard Checkpoint.checksum(body) == checksum else { throw CheckpointError("\(name): checksum mismatch (file is corrupt)") }
        var checkpoint = Checkpoint(metadata: header["metadata"] as? [String: String] ?? [:])
        for entry in entries {
            // Sizes come from the file: multiply with overflow checks, and bound them by the body
            // before allocating anything.
            guard let tensorName = entry["name"] as? String, let shape = entry["shape"] as? [Int], let offset = entry["offset"] as? Int,
                shape.allSatisfy({ $0 >= 0 }), offset >= 0,
                let count = shape.reduce(
                    Optional(1),
                    { acc, d in
                        acc.flatMap { a in
                            let (p, o) = a.multipliedReportingOverflow(by: d); return o ? nil : p
                        }
                    }),
                offset <= body.count / 4, count <= body.count / 4 - offset
            else {
                throw CheckpointError("\(name): corrupt tensor table")
            }
            var values = [Float](repeating: 0, count: count)
            for i in 0..<count {
                let o = 4 * (offset + i)
                values[i] = Float(
                    bitPattern: UInt32(body[o]) | UInt32(body[o + 1]) << 8 | UInt32(body[o + 2]) << 16 | UInt32(body[o + 3]) << 24)
            }
            checkpoint.tensors.append((tensorName, shape, values))
        }
        return checkpoint
    }

    static func checksum(_ bytes: [UInt8]) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return String(format: "%016llx", h)
    }
}

/// A checkpoint that cannot be read or does not fit the model.
public struct CheckpointError: Error, CustomStringConvertible, Equatable, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension Checkpoint {
    /// Adds every named tensor of `items`, downloaded from `backend`.
    public mutating func add(_ items: [(name: String, tensor: Tensor)], from backend: any Backend) throws {
        for item in items { tensors.append((item.name, item.tensor.shape, try backend.download(item.tensor))) }
    }

    /// Copies the stored values into `items` (same names and shapes), refusing any mismatch
    /// before changing anything.
    public func restore(_ items: [(name: String, tensor: Tensor)], into backend: any Backend) throws {
        var loaded: [(Tensor, [Float], [Int])] = []
        for item in items {
            guard let stored = tensor(item.name) else {
                throw CheckpointError("checkpoint does not match the model: it has no tensor \(item.name)")
            }
            guard stored.shape == item.tensor.shape else {
                throw CheckpointError(
                    "checkpoint does not match the model: \(item.name) is \(stored.shape) in the checkpoint, \(item.tensor.shape) in the model"
                )
            }
            loaded.append((item.tensor, stored.values, stored.shape))
        }
        for (tensor, values, shape) in loaded { try backend.copy(try backend.upload(values, shape: shape), into: tensor) }
    }
}

extension Network {
    /// Parameters and batch-norm statistics, by name, for checkpoints.
    public var namedState: [(name: String, tensor: Tensor)] {
        parameters.map { (name: $0.name, tensor: $0.value) } + buffers
    }
}
