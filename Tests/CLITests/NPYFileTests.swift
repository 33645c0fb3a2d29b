import Foundation
import TensorCore
import Testing

@Suite struct NPYFileTests {
    @Test(arguments: [[Int](), [1], [7], [2, 3], [2, 0, 4], [1, 3, 5, 7]])
    func roundTrip(shape: [Int]) throws {
        var rng = SeededRandom(seed: 7)
        let values = rng.uniform(shape.reduce(1, *), in: -5...5)
        let data = NPYFile.encode(shape: shape, values: values)
        #expect(data.count % 16 == 0 || data.count > 0)
        let header = String(decoding: data[10..<(10 + Int(data[8]) + Int(data[9]) * 256)], as: UTF8.self)
        #expect((10 + header.utf8.count) % 64 == 0, "header must be padded to 64 bytes")
        let decoded = try NPYFile.decode(data)
        #expect(decoded.shape == shape)
        #expect(decoded.values.map(\.bitPattern) == values.map(\.bitPattern))
    }

    /// Bytes NumPy 1.26 writes for `np.array([[1, 2, 3], [4, 5, 6]], dtype=np.float32)`.
    @Test func readsNumPyBytes() throws {
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, 118, 0]
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"
        header += String(repeating: " ", count: 118 - header.count - 1) + "\n"
        bytes += Array(header.utf8)
        for v: Float in [1, 2, 3, 4, 5, 6] { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 } }
        let (shape, values) = try NPYFile.decode(Data(bytes))
        #expect(shape == [2, 3])
        #expect(values == [1, 2, 3, 4, 5, 6])
    }

    @Test func rejectsMalformedFiles() throws {
        let good = NPYFile.encode(shape: [2, 2], values: [1, 2, 3, 4])
        func message(_ data: Data) -> String? {
            do { _ = try NPYFile.decode(data, name: "f.npy"); return nil } catch let e as NPYFile.FormatError { return e.message } catch {
                return "\(error)"
            }
        }
        #expect(message(Data("hello world, not numpy".utf8))?.contains("bad magic") == true)
        #expect(message(good.dropLast(3))?.contains("truncated data") == true)
        #expect(message(good.prefix(20))?.contains("truncated header") == true)
        #expect(message(good + Data([0, 0, 0, 0]))?.contains("unexpected bytes") == true)
        func replacing(_ old: String, with new: String) -> Data {
            var bytes = [UInt8](good)
            let needle = Array(old.utf8)
            let at = (0...(bytes.count - needle.count)).first { Array(bytes[$0..<$0 + needle.count]) == needle }!
            bytes.replaceSubrange(at..<at + needle.count, with: Array(new.utf8))
            return Data(bytes)
        }
        #expect(message(replacing("<f4", with: "<f8"))?.contains("<f8 is not float32") == true)
        #expect(message(replacing("'<f4'", with: "'<i4'"))?.contains("<i4 is not float32") == true)
        let fortran = replacing("False", with: "True ")
        #expect(message(Data(fortran))?.contains("Fortran") == true)
    }
}

/// A `.npy` header claiming 10¹⁵ or 2⁶² elements is refused from the header alone, before any
/// allocation, with an error naming the file.
@Suite struct NPYHeaderLimitTests {
    static func file(shape: String, dataBytes: Int) -> Data {
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shape), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        let n = header.utf8.count
        return Data(
            [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(n & 0xFF), UInt8(n >> 8)] + Array(header.utf8)
                + [UInt8](repeating: 0, count: dataBytes))
    }

    @Test func hugeShapesAreRefusedBeforeAllocating() throws {
        #expect(try NPYFile.decode(Self.file(shape: "(2,)", dataBytes: 8), name: "ok.npy").values == [0, 0])
        for shape in ["(1000000000000000,)", "(4611686018427387904,)", "(4294967296, 4294967296)", "(3037000500, 3037000500, 2)"] {
            #expect(throws: (any Error).self, "\(shape)") { try NPYFile.decode(Self.file(shape: shape, dataBytes: 16), name: "huge.npy") }
        }
    }
}
