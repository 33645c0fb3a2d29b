import Foundation

/// The `safetensors` format (Hugging Face), float32 only: an 8-byte little-endian header length
/// N, N bytes of JSON — `{"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]},
/// …, "__metadata__": {"key": "value"}}` with offsets relative to the end of the header — then
/// the tensors' little-endian bytes, back to back. Python reads it with
/// `safetensors.numpy.load_file` or `safetensors.torch.load_file`.
///
/// DiffNAS writes a network's `namedState` (weights and batch-norm statistics under the names
/// its checkpoints use, e.g. `stage1.block0.conv1.weight`), tensors in name order, the header
/// padded with spaces to a multiple of 8 bytes as the reference writer does, and the
/// architecture JSON under `__metadata__.architecture`.
public enum SafeTensors {
    public struct Entry: Equatable, Sendable {
        public var name: String
        public var shape: [Int]
        public var values: [Float]
        public init(name: String, shape: [Int], values: [Float]) { self.name = name; self.shape = shape; self.values = values }
    }

    public static func encode(_ entries: [Entry], metadata: [String: String] = [:]) throws -> Data {
        var header: [String: Any] = [:]
        var offset = 0
        let sorted = entries.sorted { $0.name < $1.name }
        for entry in sorted {
            guard entry.name != "__metadata__", entry.values.count == entry.shape.reduce(1, *) else {
                throw CheckpointError("safetensors: tensor \(entry.name) has \(entry.values.count) values for shape \(entry.shape)")
            }
            header[entry.name] = ["dtype": "F32", "shape": entry.shape, "data_offsets": [offset, offset + 4 * entry.values.count]]
            offset += 4 * entry.values.count
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var json = [UInt8](try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]))
        while json.count % 8 != 0 { json.append(0x20) }
        var out = [UInt8]()
        out.reserveCapacity(8 + json.count + offset)
        for i in 0..<8 { out.append(UInt8((json.count >> (8 * i)) & 0xFF)) }
        out += json
        for entry in sorted {
            for v in entry.values {
                let bits = v.bitPattern
                out += [UInt8(bits & 0xFF), UInt8((bits >> 8) & 0xFF), UInt8((bits >> 16) & 0xFF), UInt8(bits >> 24)]
            }
        }
        return Data(out)
    }

    /// Reads a float32 safetensors file; every size is checked against the file before anything
    /// is allocated, and every byte of the data section must belong to exactly one tensor.
    public static func decode(_ data: Data, name: String = "<safetensors>") throws -> (entries: [Entry], metadata: [String: String]) {
        let bytes = [UInt8](data)
        func fail(_ problem: String) -> CheckpointError { CheckpointError("\(name): \(problem)") }
        guard bytes.count >= 8 else { throw fail("not a safetensors file (shorter than its 8-byte header length)") }
        var length: UInt64 = 0
        for i in 0..<8 { length |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard length <= UInt64(bytes.count - 8), length <= 100_000_000 else { throw fail("header length \(length) exceeds the file") }
        let dataStart = 8 + Int(length)
        guard let header = try? JSONSerialization.jsonObject(with: Data(bytes[8..<dataStart])) as? [String: Any] else {
            throw fail("header is not a JSON object")
        }
        var metadata: [String: String] = [:]
        if let m = header["__metadata__"] {
            guard let strings = m as? [String: String] else { throw fail("__metadata__ must map strings to strings") }
            metadata = strings
        }
        let available = bytes.count - dataStart
        var entries: [(Entry, Int)] = []
        for (key, value) in header where key != "__metadata__" {
            guard let info = value as? [String: Any], let dtype = info["dtype"] as? String, let shape = info["shape"] as? [Int],
                let offsets = info["data_offsets"] as? [Int], offsets.count == 2
            else {
                throw fail("tensor \(key): needs dtype, shape and data_offsets")
            }
            guard dtype == "F32" else { throw fail("tensor \(key) is \(dtype); DiffNAS reads F32 only") }
            guard shape.allSatisfy({ $0 >= 0 }),
                let count = shape.reduce(
                    Optional(1),
                    { acc, d in
                        acc.flatMap { a in
                            let (p, o) = a.multipliedReportingOverflow(by: d); return o ? nil : p
                        }
                    }),
                count <= available / 4
            else {
                throw fail("tensor \(key): shape \(shape) does not fit the file")
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, end <= available, end - begin == 4 * count else {
                throw fail("tensor \(key): data_offsets \(offsets) do not match shape \(shape) within \(available) data bytes")
            }
            var values = [Float](repeating: 0, count: count)
            for i in 0..<count {
                let o = dataStart + begin + 4 * i
                values[i] = Float(
                    bitPattern: UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24)
            }
            entries.append((Entry(name: key, shape: shape, values: values), begin))
        }
        // The data section is covered exactly once: sorted by offset, each tensor starts where the last ended.
        entries.sort { $0.1 < $1.1 }
        var next = 0
        for (entry, begin) in entries {
            guard begin == next else { throw fail("tensor \(entry.name) starts at byte \(begin), expected \(next) (gap or overlap)") }
            next += 4 * entry.values.count
        }
        guard next == available else { throw fail("\(available - next) data bytes belong to no tensor") }
        return (entries.map(\.0).sorted { $0.name < $1.name }, metadata)
    }
}

extension Checkpoint {
    /// The checkpoint's tensors as safetensors (its metadata, e.g. the architecture, kept).
    public func safetensors() throws -> Data {
        try SafeTensors.encode(tensors.map { SafeTensors.Entry(name: $0.name, shape: $0.shape, values: $0.values) }, metadata: metadata)
    }

    /// A checkpoint holding the tensors and metadata of a safetensors file (to restore into a network).
    public init(safetensors data: Data, name: String = "<safetensors>") throws {
        let (entries, metadata) = try SafeTensors.decode(data, name: name)
        self.init(metadata: metadata, tensors: entries.map { (name: $0.name, shape: $0.shape, values: $0.values) })
    }
}
