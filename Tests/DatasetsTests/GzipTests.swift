import Datasets
import Foundation
import Testing

@Suite struct GzipTests {
    /// Several MiB, so the file is inflated over many 1 MiB input chunks and the output grows.
    @Test func inflatesLargeFilesExactly() throws {
        var content = Fixtures.randomBytes(3 << 20, seed: 3)
        for i in stride(from: 0, to: content.count, by: 7) { content[i] = 0 }  // compressible, not trivially
        let compressed = Fixtures.gzip(content, level: 1)
        #expect(compressed.count > 1 << 20)
        try withTemporaryDirectory { directory in
            try Fixtures.write(compressed, to: directory, "big.gz")
            let inflated = try Gzip.inflate(contentsOf: directory.appendingPathComponent("big.gz"))
            #expect(inflated == content)
            #expect(try Gzip.readPossiblyCompressed(contentsOf: directory.appendingPathComponent("big.gz")) == content)
        }
    }

    @Test func inflatesInMemoryAndEmptyContent() throws {
        #expect(try Gzip.inflate(Fixtures.gzip([])) == [])
        let text = Array("hello, gzip".utf8)
        #expect(try Gzip.inflate(Fixtures.gzip(text)) == text)
    }

    /// `cat a.gz b.gz > c.gz` is a valid gzip file holding both contents.
    @Test func inflatesConcatenatedMembers() throws {
        let first = Array("first member ".utf8), second = Fixtures.randomBytes(5000, seed: 9)
        #expect(try Gzip.inflate(Fixtures.gzip(first) + Fixtures.gzip(second)) == first + second)
    }

    @Test func readsUncompressedFilesAsTheyAre() throws {
        try withTemporaryDirectory { directory in
            let bytes = Fixtures.randomBytes(1000, seed: 4).map { $0 == 0x1F ? 0 : $0 }
            try Fixtures.write(bytes, to: directory, "raw")
            #expect(try Gzip.readPossiblyCompressed(contentsOf: directory.appendingPathComponent("raw")) == bytes)
        }
    }

    /// Files compressed by the gzip tool itself, when it is installed.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/bin/gzip"), "/bin/gzip is not installed"))
    func inflatesFilesWrittenByTheGzipTool() throws {
        try withTemporaryDirectory { directory in
            let content = Fixtures.randomBytes(200_000, seed: 11).map { $0 & 0x0F }
            let file = directory.appendingPathComponent("tool")
            try Fixtures.write(content, to: directory, "tool")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/gzip")
            process.arguments = ["-9", file.path]
            try process.run()
            process.waitUntilExit()
            try #require(process.terminationStatus == 0)
            #expect(try Gzip.readPossiblyCompressed(contentsOf: directory.appendingPathComponent("tool.gz")) == content)
        }
    }

    @Test func reportsTruncatedStreams() throws {
        let compressed = Fixtures.gzip(Fixtures.randomBytes(10_000, seed: 5))
        let error = datasetError { try Gzip.inflate(Array(compressed.prefix(compressed.count / 2)), name: "half.gz") }
        #expect(error?.description == "half.gz: corrupt gzip stream (unexpected end of compressed data; file truncated?)")
    }

    @Test func reportsCorruptStreams() throws {
        var compressed = Fixtures.gzip(Array(repeating: 7, count: 10_000) + Fixtures.randomBytes(1000, seed: 6))
        for i in 20..<40 { compressed[i] ^= 0x5A }
        let error = datasetError { try Gzip.inflate(compressed, name: "bad.gz") }
        guard case .corruptGzip(let path, _) = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(path == "bad.gz")
        #expect(error?.description.hasPrefix("bad.gz: corrupt gzip stream (") == true)
    }

    @Test func reportsACorruptChecksum() throws {
        var compressed = Fixtures.gzip(Array("checksummed content".utf8))
        compressed[compressed.count - 6] ^= 0xFF  // inside the CRC-32 of the trailer
        let error = datasetError { try Gzip.inflate(compressed, name: "crc.gz") }
        #expect(error?.description == "crc.gz: corrupt gzip stream (incorrect data check)")
    }

    @Test func reportsNonGzipFilesNamedGz() throws {
        try withTemporaryDirectory { directory in
            try Fixtures.write(Array("plain text, not gzip".utf8), to: directory, "fake.gz")
            let url = directory.appendingPathComponent("fake.gz")
            let error = datasetError { try Gzip.readPossiblyCompressed(contentsOf: url) }
            #expect(error?.description == "\(url.path): corrupt gzip stream (incorrect header check)")
        }
    }

    @Test func reportsMissingAndEmptyFiles() throws {
        try withTemporaryDirectory { directory in
            let missing = directory.appendingPathComponent("absent.gz")
            #expect(datasetError { try Gzip.inflate(contentsOf: missing) } == .missingFile(path: missing.path, expected: ""))
            try Fixtures.write([], to: directory, "empty.gz")
            let empty = directory.appendingPathComponent("empty.gz")
            #expect(datasetError { try Gzip.inflate(contentsOf: empty) }?.description == "\(empty.path): corrupt gzip stream (empty file)")
        }
    }
}
