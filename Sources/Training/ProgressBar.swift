import Foundation

/// A progress line for long work: on a terminal, one redrawn line with a bar, the caller's
/// fields and the ETA; otherwise (logs, CI) a plain line at most every `plainInterval` seconds
/// and at the end, so redirected output stays readable.
public final class ProgressBar {
    public let title: String
    public let total: Int
    let isTerminal: Bool
    let plainInterval: TimeInterval
    let start = Date()
    var lastPlain = Date.distantPast
    let output: FileHandle

    public init(title: String, total: Int, output: FileHandle = .standardError, plainInterval: TimeInterval = 10) {
        self.title = title
        self.total = max(total, 1)
        self.output = output
        self.plainInterval = plainInterval
        isTerminal = isatty(output.fileDescriptor) != 0
    }

    /// Reports that `done` of `total` units are finished; `fields` is e.g. "loss 0.43 acc 0.87".
    public func update(_ done: Int, _ fields: String) {
        let elapsed = Date().timeIntervalSince(start)
        let fraction = min(Double(done) / Double(total), 1)
        let eta = done > 0 ? elapsed / Double(done) * Double(total - done) : 0
        if isTerminal {
            let width = 24
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            write("\r\u{1B}[K\(title) \(bar) \(done)/\(total) \(fields) ETA \(ProgressBar.duration(eta))")
        } else if Date().timeIntervalSince(lastPlain) >= plainInterval || done == total {
            lastPlain = Date()
            write(
                "\(title) \(done)/\(total) (\(Int(fraction * 100))%) \(fields) elapsed \(ProgressBar.duration(elapsed)) ETA \(ProgressBar.duration(eta))\n"
            )
        }
    }

    /// Ends the line on a terminal.
    public func finish() {
        if isTerminal { write("\r\u{1B}[K") }
    }

    private func write(_ text: String) { output.write(Data(text.utf8)) }

    /// `1h02m`, `3m07s`, `12s`.
    public static func duration(_ seconds: TimeInterval) -> String {
        let s = Int(seconds.rounded())
        if s >= 3600 { return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60) }
        if s >= 60 { return String(format: "%dm%02ds", s / 60, s % 60) }
        return "\(s)s"
    }
}

/// Appends one JSON object per line to a file (metrics logs).
public final class JSONLinesLog {
    let handle: FileHandle

    /// Opens (creating or appending to) `url`.
    public init(url: URL, truncate: Bool = false) throws {
        if truncate || !FileManager.default.fileExists(atPath: url.path) {
            try Data().write(to: url)
        }
        handle = try FileHandle(forWritingTo: url)
        handle.seekToEndOfFile()
    }

    deinit { try? handle.close() }

    /// Cuts the log at `url` back to its first `count` lines (what a resumed run keeps: the lines
    /// of the steps or epochs its checkpoint holds); nothing when the file does not exist.
    public static func keepFirstLines(_ count: Int, of url: URL) throws {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return }
        let kept = text.split(separator: "\n").prefix(count).map { $0 + "\n" }.joined()
        try Data(kept.utf8).write(to: url, options: .atomic)
    }

    public func append(_ object: [String: Any]) throws {
        var data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        data.append(0x0A)
        try handle.write(contentsOf: data)
    }
}
