import ArgumentParser
import Foundation

/// `diffnas`: differentiable architecture search on any OpenCL device.
@main
struct DiffNAS: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diffnas",
        abstract: "Differentiable neural architecture search with hand-written OpenCL kernels.",
        discussion: """
            Runs on any OpenCL device (NVIDIA, AMD, Intel, Apple, or a CPU through PoCL). Every kernel \
            is checked against a plain-Swift CPU reference backend: see `diffnas verify`.
            """,
        subcommands: [
            DevicesCommand.self, VerifyCommand.self, OpCommand.self, TrainCommand.self, SearchCommand.self, BenchCommand.self,
            TuneCommand.self, ExportCommand.self, EvaluateCommand.self,
        ]
    )

    /// Runs the command; a file-system failure anywhere (an unwritable `--out`, a missing folder,
    /// a full disk) becomes one line naming the path instead of Foundation's error dump.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as NSError where error.domain == NSCocoaErrorDomain {
            printError("Error: \(FileErrorDescription.describe(error))")
            Foundation.exit(1)
        } catch {
            exit(withError: error)
        }
    }
}

/// One line for a Foundation file error: what failed, on which path, and the system's reason.
enum FileErrorDescription {
    static func describe(_ error: NSError) -> String {
        let path = (error.userInfo[NSFilePathErrorKey] as? String) ?? (error.userInfo[NSURLErrorKey] as? URL)?.path ?? "a file"
        let reason = reason(error)
        // Foundation's codes: 256…511 reading, 512…1023 writing; 4 (no such file) comes from writes too.
        let verb =
            error.code >= 256 && error.code < 512 ? "cannot read" : error.code >= 512 || error.code == 4 ? "cannot write" : "cannot access"
        return "\(verb) \(path): \(reason)"
    }

    /// The system's reason (strerror of the underlying POSIX error), else Foundation's text.
    static func reason(_ error: NSError) -> String {
        if let value = error.userInfo[NSUnderlyingErrorKey], let underlying = (value as? any Error).map({ $0 as NSError }),
            underlying.domain == NSPOSIXErrorDomain
        {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return error.localizedDescription
    }
}

/// A user-facing failure: printed as one line, exit status 1.
struct CLIError: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

/// Writes a line to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Whether standard error is a terminal (progress lines are drawn only then).
var standardErrorIsTerminal: Bool { isatty(2) != 0 }
