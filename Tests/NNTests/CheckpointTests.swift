import Foundation
import NN
import ReferenceBackend
import TensorCore
import Testing
import _TestSupport

@Suite struct CheckpointTests {
    @Test func roundTripsNetworkState() throws {
        let backend = ReferenceBackend()
        let a = Architecture.cifarResNet(depth: 8, baseWidth: 4, input: .init(channels: 1, height: 8, width: 8), classes: 3)
        let net = try Network(a, backend: backend, seed: 3)
        var checkpoint = Checkpoint(metadata: ["epoch": "4"])
        try checkpoint.add(net.namedState, from: backend)
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("checkpoint.bin")
        try checkpoint.write(to: url)
        try checkpoint.write(to: url)  // overwriting an existing file is atomic too
        let other = try Network(a, backend: backend, seed: 99)
        let loaded = try Checkpoint.read(contentsOf: url)
        #expect(loaded.metadata["epoch"] == "4")
        try loaded.restore(other.namedState, into: backend)
        for (x, y) in zip(net.namedState, other.namedState) {
            #expect(x.name == y.name)
            #expect(try backend.download(x.tensor) == backend.download(y.tensor))
        }
    }

    @Test func refusesCorruptTruncatedAndMismatched() throws {
        let backend = ReferenceBackend()
        let a = Architecture.mlp(hidden: [5], input: .init(channels: 1, height: 2, width: 2), classes: 2)
        let net = try Network(a, backend: backend, seed: 1)
        var checkpoint = Checkpoint()
        try checkpoint.add(net.namedState, from: backend)
        let data = try checkpoint.encoded()
        var flipped = [UInt8](data)
        flipped[flipped.count - 3] ^= 0x40
        #expect(throws: CheckpointError.self) { try Checkpoint.decode(Data(flipped)) }
        #expect(throws: CheckpointError.self) { try Checkpoint.decode(data.dropLast(5)) }
        #expect(throws: CheckpointError.self) { try Checkpoint.decode(Data("garbage".utf8)) }
        // Same names, different widths: refused before anything is changed.
        let wider = try Network(.mlp(hidden: [6], input: .init(channels: 1, height: 2, width: 2), classes: 2), backend: backend, seed: 2)
        let before = try wider.namedState.map { try backend.download($0.tensor) }
        #expect { try checkpoint.restore(wider.namedState, into: backend) } throws: { error in
            "\(error)".contains("hidden0.weight is [5, 4] in the checkpoint, [6, 4] in the model")
        }
        #expect(try wider.namedState.map { try backend.download($0.tensor) } == before)
    }
}

/// Sizes read from a checkpoint's header are checked before anything is allocated: a tensor
/// table claiming 10¹⁵ or 2⁸⁰ elements (with a valid body checksum — the header is not covered
/// by it) is refused with an error, never a trap or a huge allocation.
@Suite struct CheckpointHeaderLimitTests {
    static func withShape(_ shape: [Int], offset: Int = 0) throws -> Data {
        var checkpoint = Checkpoint(metadata: ["kind": "training"])
        checkpoint.tensors = [(name: "w", shape: [2], values: [1, 2])]
        let bytes = [UInt8](try checkpoint.encoded())
        var length = 0
        for i in 0..<8 { length |= Int(bytes[8 + i]) << (8 * i) }
        var header = try #require(try JSONSerialization.jsonObject(with: Data(bytes[16..<16 + length])) as? [String: Any])
        var entries = try #require(header["tensors"] as? [[String: Any]])
        entries[0]["shape"] = shape
        entries[0]["offset"] = offset
        header["tensors"] = entries
        let newHeader = [UInt8](try JSONSerialization.data(withJSONObject: header))
        var out = Array(bytes[0..<8])
        for i in 0..<8 { out.append(UInt8((newHeader.count >> (8 * i)) & 0xFF)) }
        return Data(out + newHeader + bytes[(16 + length)...])
    }

    @Test func hugeShapesAreRefused() throws {
        #expect(try Checkpoint.decode(Self.withShape([2])).tensors[0].values == [1, 2], "the edited file is otherwise valid")
        for shape in [[1_000_000_000_000_000], [1 << 40, 1 << 40], [Int.max, 2], [3]] {
            #expect(throws: CheckpointError.self, "shape \(shape)") { try Checkpoint.decode(Self.withShape(shape)) }
        }
        #expect(throws: CheckpointError.self) { try Checkpoint.decode(Self.withShape([1], offset: Int.max / 2)) }
    }
}
