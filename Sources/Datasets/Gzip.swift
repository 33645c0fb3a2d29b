import CZlib
import Foundation

/// gzip (and zlib) decompression through the system zlib, streaming the compressed file in
/// chunks so only the inflated bytes are held in memory.
public enum Gzip {
    /// Bytes read from the compressed file per step.
    static let chunkSize = 1 << 20

    /// Whether `bytes` start with the gzip magic `1f 8b`.
    public static func hasGzipMagic<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Bool {
        var iterator = bytes.makeIterator()
        return iterator.next() == 0x1F && iterator.next() == 0x8B
    }

    /// The whole content of the file at `url`: inflated when it is gzip-compressed (gzip magic
    /// or a `.gz` name), as is otherwise.
    public static func readPossiblyCompressed(contentsOf url: URL) throws -> [UInt8] {
        let handle = try openForReading(url)
        defer { try? handle.close() }
        let path = url.path
        let first = try readChunk(handle, path: path, count: 2) ?? Data()
        let compressed = hasGzipMagic(first) || url.pathExtension == "gz"
        try seek(handle, to: 0, path: path)
        if compressed { return try inflate(handle, path: path) }
        do {
            let data = try handle.readToEnd() ?? Data()
            return [UInt8](data)
        } catch {
            throw DatasetError.unreadable(path: path, reason: error.localizedDescription)
        }
    }

    /// The inflated content of the gzip (or zlib) file at `url`.
    public static func inflate(contentsOf url: URL) throws -> [UInt8] {
        let handle = try openForReading(url)
        defer { try? handle.close() }
        return try inflate(handle, path: url.path)
    }

    /// Inflates gzip (or zlib) `bytes` held in memory; `name` is used in error messages.
    public static func inflate(_ bytes: [UInt8], name: String = "<gzip>") throws -> [UInt8] {
        var delivered = false
        return try inflateStream(path: name, sizeHint: 4 * bytes.count) {
            if delivered { return nil }
            delivered = true
            return Data(bytes)
        }
    }

    // MARK: - Implementation

    private static func inflate(_ handle: FileHandle, path: String) throws -> [UInt8] {
        let hint = try uncompressedSizeHint(handle, path: path)
        try seek(handle, to: 0, path: path)
        return try inflateStream(path: path, sizeHint: hint) { try readChunk(handle, path: path, count: chunkSize) }
    }

    /// Inflates the chunks `nextChunk` returns (nil at the end of input). Concatenated gzip
    /// members are inflated one after the other, as `gunzip` does.
    private static func inflateStream(path: String, sizeHint: Int, nextChunk: () throws -> Data?) throws -> [UInt8] {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)  // zlib keeps a pointer to it
        stream.initialize(to: z_stream())
        defer { stream.deinitialize(count: 1); stream.deallocate() }
        // windowBits 15 + 32: the largest window, with automatic gzip/zlib header detection.
        guard inflateInit2_(stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DatasetError.corruptGzip(path: path, reason: "zlib could not be initialised")
        }
        defer { inflateEnd(stream) }

        var output = [UInt8](repeating: 0, count: max(sizeHint, 1 << 16))
        var produced = 0
        var memberEnded = false
        var sawInput = false
        while let chunk = try nextChunk(), !chunk.isEmpty {
            sawInput = true
            try chunk.withUnsafeBytes { (input: UnsafeRawBufferPointer) in
                guard let base = input.bindMemory(to: Bytef.self).baseAddress else { return }
                stream.pointee.next_in = UnsafeMutablePointer(mutating: base)
                stream.pointee.avail_in = uInt(input.count)
                while true {
                    if memberEnded {
                        if stream.pointee.avail_in == 0 { return }
                        inflateReset(stream)  // another gzip member follows
                        memberEnded = false
                    }
                    if produced == output.count {
                        output.append(contentsOf: repeatElement(0, count: output.count))  // double
                    }
                    let status = output.withUnsafeMutableBufferPointer { out -> Int32 in
                        let room = min(out.count - produced, Int(UInt32.max))
                        stream.pointee.next_out = out.baseAddress.map { $0 + produced }
                        stream.pointee.avail_out = uInt(room)
                        let status = CZlib.inflate(stream, Z_NO_FLUSH)
                        produced += room - Int(stream.pointee.avail_out)
                        return status
                    }
                    switch status {
                    case Z_STREAM_END:
                        memberEnded = true
                    case Z_OK, Z_BUF_ERROR:
                        // Needs more input once this chunk is consumed and the output has room.
                        if stream.pointee.avail_in == 0 && stream.pointee.avail_out > 0 { return }
                        if status == Z_BUF_ERROR && stream.pointee.avail_out > 0 {
                            throw DatasetError.corruptGzip(path: path, reason: "inflate made no progress")
                        }
                    default:
                        throw DatasetError.corruptGzip(path: path, reason: zlibMessage(stream, status: status))
                    }
                }
            }
        }
        guard sawInput else { throw DatasetError.corruptGzip(path: path, reason: "empty file") }
        guard memberEnded else {
            throw DatasetError.corruptGzip(path: path, reason: "unexpected end of compressed data; file truncated?")
        }
        output.removeSubrange(produced...)
        return output
    }

    private static func zlibMessage(_ stream: UnsafeMutablePointer<z_stream>, status: Int32) -> String {
        if let message = stream.pointee.msg { return String(cString: message) }
        switch status {
        case Z_DATA_ERROR: return "invalid compressed data"
        case Z_MEM_ERROR: return "out of memory"
        case Z_NEED_DICT: return "a preset dictionary is required"
        default: return "zlib error \(status)"
        }
    }

    /// The gzip trailer's ISIZE (uncompressed size mod 2³²) as a capacity hint; never trusted
    /// beyond that (the output grows as needed).
    private static func uncompressedSizeHint(_ handle: FileHandle, path: String) throws -> Int {
        do {
            let size = try handle.seekToEnd()
            guard size >= 18 else { return Int(size) * 4 }
            try handle.seek(toOffset: size - 4)
            let trailer = [UInt8](try handle.read(upToCount: 4) ?? Data())
            guard trailer.count == 4 else { return Int(size) * 4 }
            let isize = Int(trailer[0]) | Int(trailer[1]) << 8 | Int(trailer[2]) << 16 | Int(trailer[3]) << 24
            // A plausible ratio for a single-member file; otherwise fall back to a guess.
            return isize >= Int(size) / 2 && isize <= Int(size) * 1100 ? isize : Int(size) * 4
        } catch {
            throw DatasetError.unreadable(path: path, reason: error.localizedDescription)
        }
    }

    static func openForReading(_ url: URL) throws -> FileHandle {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw DatasetError.missingFile(path: url.path, expected: "")
        }
        do { return try FileHandle(forReadingFrom: url) } catch {
            throw DatasetError.unreadable(path: url.path, reason: error.localizedDescription)
        }
    }

    private static func readChunk(_ handle: FileHandle, path: String, count: Int) throws -> Data? {
        do { return try handle.read(upToCount: count) } catch {
            throw DatasetError.unreadable(path: path, reason: error.localizedDescription)
        }
    }

    private static func seek(_ handle: FileHandle, to offset: UInt64, path: String) throws {
        do { try handle.seek(toOffset: offset) } catch {
            throw DatasetError.unreadable(path: path, reason: error.localizedDescription)
        }
    }
}
