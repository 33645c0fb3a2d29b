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
        subcommands: [DevicesCommand.self, VerifyCommand.self, OpCommand.self, TrainCommand.self, SearchCommand.self, BenchCommand.self,
                      TuneCommand.self]
    )
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
