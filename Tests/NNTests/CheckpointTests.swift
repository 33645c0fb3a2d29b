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
