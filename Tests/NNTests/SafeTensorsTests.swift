import Foundation
import NN
import ReferenceBackend
import TensorCore
import Testing

/// safetensors against the format's definition, written out by hand, and round trips of a
/// network's state; malformed files are refused with an error naming the problem.
@Suite struct SafeTensorsTests {
    /// A file made byte by byte from the format description: header length, JSON, data.
    static func handMade(header: String, data: [Float]) -> Data {
        var json = Array(header.utf8)
        while json.count % 8 != 0 { json.append(0x20) }
        var bytes = (0..<8).map { UInt8((json.count >> (8 * $0)) & 0xFF) } + json
        for v in data { let b = v.bitPattern; bytes += [UInt8(b & 0xFF), UInt8((b >> 8) & 0xFF), UInt8((b >> 16) & 0xFF), UInt8(b >> 24)] }
        return Data(bytes)
    }

    @Test func readsAHandMadeFileAndWritesTheSameBytes() throws {
        let header =
            #"{"__metadata__":{"format":"pt"},"a":{"data_offsets":[0,8],"dtype":"F32","shape":[2]},"b":{"data_offsets":[8,32],"dtype":"F32","shape":[2,3]}}"#
        let file = Self.handMade(header: header, data: [1, -2, 0.5, 3, 4, 5, 6, 7.25])
        let (entries, metadata) = try SafeTensors.decode(file)
        #expect(
            entries == [
                SafeTensors.Entry(name: "a", shape: [2], values: [1, -2]),
                SafeTensors.Entry(name: "b", shape: [2, 3], values: [0.5, 3, 4, 5, 6, 7.25]),
            ])
        #expect(metadata == ["format": "pt"])
        // The writer produces exactly the hand-made bytes (sorted keys, 8-byte padding, name order).
        #expect(try SafeTensors.encode(entries, metadata: metadata) == file)
    }

    @Test func networkStateRoundTrips() throws {
        let backend = ReferenceBackend()
        let a = Architecture.cifarResNet(depth: 8, baseWidth: 3, input: .init(channels: 1, height: 8, width: 8), classes: 5)
        let network = try Network(a, backend: backend, seed: 4)
        var checkpoint = Checkpoint(metadata: ["architecture": String(decoding: try a.encoded(), as: UTF8.self)])
        try checkpoint.add(network.namedState, from: backend)
        let back = try Checkpoint(safetensors: try checkpoint.safetensors())
        #expect(back.metadata == checkpoint.metadata)
        let original = Dictionary(uniqueKeysWithValues: checkpoint.tensors.map { ($0.name, $0.values.map(\.bitPattern)) })
        let restored = Dictionary(uniqueKeysWithValues: back.tensors.map { ($0.name, $0.values.map(\.bitPattern)) })
        #expect(original == restored && !original.isEmpty)
        let other = try Network(a, backend: backend, seed: 9)
        try back.restore(other.namedState, into: backend)
        for ((_, x), (_, y)) in zip(network.namedState, other.namedState) {
            #expect(try backend.download(x).map(\.bitPattern) == backend.download(y).map(\.bitPattern))
        }
    }

    @Test func malformedFilesAreRefused() throws {
        let good = #"{"a":{"data_offsets":[0,8],"dtype":"F32","shape":[2]}}"#
        let cases: [(String, Data)] = [
            ("short", Data([1, 2, 3])),
            ("header beyond the file", Data([255, 255, 255, 255, 0, 0, 0, 0]) + Data("{}".utf8)),
            ("not JSON", Self.handMade(header: "nope", data: [])),
            ("float64", Self.handMade(header: #"{"a":{"data_offsets":[0,16],"dtype":"F64","shape":[2]}}"#, data: [1, 2, 3, 4])),
            ("offsets too short", Self.handMade(header: #"{"a":{"data_offsets":[0,4],"dtype":"F32","shape":[2]}}"#, data: [1, 2])),
            (
                "huge shape",
                Self.handMade(header: #"{"a":{"data_offsets":[0,8],"dtype":"F32","shape":[4294967296,4294967296]}}"#, data: [1, 2])
            ),
            ("gap", Self.handMade(header: #"{"a":{"data_offsets":[4,12],"dtype":"F32","shape":[2]}}"#, data: [0, 1, 2])),
            ("trailing data", Self.handMade(header: good, data: [1, 2, 3])),
            ("truncated data", Self.handMade(header: good, data: [1])),
        ]
        for (label, data) in cases {
            #expect(throws: CheckpointError.self, "\(label)") { try SafeTensors.decode(data, name: "bad.safetensors") }
        }
    }
}
