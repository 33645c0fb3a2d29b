import Foundation

/// NumPy `.npy` files of Float32 in C order — the exchange format of `diffnas op`, so any
/// kernel can be cross-checked against NumPy or PyTorch.
///
/// Format (versions 1.0, 2.0, 3.0): magic `\x93NUMPY`, major and minor version bytes, a
/// little-endian header length (2 bytes in 1.0, 4 bytes after), an ASCII Python dict
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }` padded with spaces to a
/// multiple of 64 bytes and ending in `\n`, then the raw little-endian data.
public enum NPYFile {
    /// A malformed, truncated or unsupported `.npy` file; the message names the file and the problem.
    public struct FormatError: Error, CustomStringConvertible, Equatable, Sendable {
        public let message: String
        public var description: String { message }
    }

    /// Reads a Float32, C-order `.npy` file: its shape and values.
    public static func read(contentsOf url: URL) throws -> (shape: [Int], values: [Float]) {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw FormatError(message: "\(url.path): cannot read file (\(error.localizedDescription))")
        }
        return try decode(data, name: url.path)
    }

    /// Parses the bytes of a `.npy` file; `name` is used in error messages.
    public static func decode(_ data: Data, name: String = "<npy>") throws -> (shape: [Int], values: [Float]) {
        let bytes = [UInt8](data)
        func fail(_ problem: String) -> FormatError { FormatError(message: "\(name): \(problem)") }
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else { throw fail("not a .npy file (bad magic)") }
        let major = bytes[6]
        let headerLength: Int, headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw fail("truncated header") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw fail("unsupported .npy version \(major).\(bytes[7])")
        }
        guard headerStart + headerLength <= bytes.count else { throw fail("truncated header") }
        guard let header = String(bytes: bytes[headerStart..<headerStart + headerLength], encoding: major == 3 ? .utf8 : .isoLatin1) else {
            throw fail("header is not text")
        }
        guard let descr = dictValue(header, key: "descr") else { throw fail("header has no 'descr'") }
        let dtype = descr.trimmingCharacters(in: CharacterSet(charactersIn: "'\" "))
        guard dtype == "<f4" || dtype == "=f4" || dtype == "f4" else {
            throw fail("dtype \(dtype) is not float32 ('<f4'); convert with array.astype(numpy.float32)")
        }
        guard let fortran = dictValue(header, key: "fortran_order") else { throw fail("header has no 'fortran_order'") }
        guard fortran == "False" else { throw fail("Fortran-order arrays are not supported; save numpy.ascontiguousarray(array)") }
        guard let shapeText = dictValue(header, key: "shape"), shapeText.hasPrefix("("), shapeText.hasSuffix(")") else {
            throw fail("header has no valid 'shape'")
        }
        var shape: [Int] = []
        for part in shapeText.dropFirst().dropLast().split(separator: ",") {
            let token = part.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "L", with: "")
            if token.isEmpty { continue }
            guard let dim = Int(token), dim >= 0 else { throw fail("invalid dimension '\(token)' in shape \(shapeText)") }
            shape.append(dim)
        }
        let (count, overflow) = shape.reduce((1, false)) { acc, d in
            let (p, o) = acc.0.multipliedReportingOverflow(by: d); return (p, acc.1 || o)
        }
        guard !overflow, count <= Int.max / 4 else { throw fail("shape \(shapeText) is too large") }
        let dataStart = headerStart + headerLength
        let available = bytes.count - dataStart
        guard available >= count * 4 else {
            throw fail("truncated data: shape \(shapeText) needs \(count * 4) bytes, file has \(available)")
        }
        guard available == count * 4 else {
            throw fail("\(available - count * 4) unexpected bytes after the data of shape \(shapeText)")
        }
        var values = [Float](repeating: 0, count: count)
        for i in 0..<count {
            let o = dataStart + 4 * i
            let bits = UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24
            values[i] = Float(bitPattern: bits)
        }
        return (shape, values)
    }

    /// The bytes of a version 1.0 `.npy` file holding `values` with `shape`.
    public static func encode(shape: [Int], values: [Float]) -> Data {
        precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not match \(values.count) values")
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shapeText), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var bytes: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0]
        let length = header.utf8.count
        bytes += [UInt8(length & 0xFF), UInt8(length >> 8)]
        bytes += Array(header.utf8)
        bytes.reserveCapacity(bytes.count + 4 * values.count)
        for v in values {
            let b = v.bitPattern
            bytes += [UInt8(b & 0xFF), UInt8((b >> 8) & 0xFF), UInt8((b >> 16) & 0xFF), UInt8(b >> 24)]
        }
        return Data(bytes)
    }

    /// Writes `values` with `shape` as a `.npy` file (atomically).
    public static func write(shape: [Int], values: [Float], to url: URL) throws {
        try encode(shape: shape, values: values).write(to: url, options: .atomic)
    }

    /// The raw text of `key`'s value in a Python dict literal (no nesting beyond one tuple).
    private static func dictValue(_ header: String, key: String) -> String? {
        for quote in ["'", "\""] {
            guard let range = header.range(of: "\(quote)\(key)\(quote)") else { continue }
            var rest = header[range.upperBound...].drop { $0 == " " }
            guard rest.first == ":" else { return nil }
            rest = rest.dropFirst().drop { $0 == " " }
            if rest.first == "(" {
                guard let close = rest.firstIndex(of: ")") else { return nil }
                return String(rest[...close])
            }
            let end = rest.firstIndex { $0 == "," || $0 == "}" } ?? rest.endIndex
            return String(rest[..<end]).trimmingCharacters(in: .whitespaces)
        }
        return nil
    }
}
