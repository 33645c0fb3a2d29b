import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SIGKILL to `pid`.
func sendKill(_ pid: Int32) { _ = kill(pid, SIGKILL) }

/// The result of running the `diffnas` executable.
public struct CommandResult: Sendable {
    public let status: Int32
    public let standardOutput: String
    public let standardError: String
}

/// A running `diffnas` child process with both output pipes drained concurrently (a full pipe
/// never blocks it).
///
/// The child's environment is this process's with every `DIFFNAS_*` variable removed (a
/// developer's kernel folder, conv algorithm, device or cache choice cannot change what is
/// tested), kernel tuning off (`DIFFNAS_TUNE=off`, so kernels never depend on a tuning cache),
/// then `environment` applied.
public final class DiffNASProcess: @unchecked Sendable {
    let process = Process()
    let group = DispatchGroup()
    var outData = Data(), errData = Data()

    public init(_ arguments: [String], environment: [String: String] = [:], executable: String = "diffnas") throws {
        process.executableURL = builtExecutable(executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("DIFFNAS_") }
        env["DIFFNAS_TUNE"] = "off"
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        for (pipe, isError) in [(out, false), (err, true)] {
            group.enter()
            DispatchQueue.global().async {
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                if isError { self.errData = data } else { self.outData = data }
                self.group.leave()
            }
        }
    }

    /// Sends SIGKILL (the process cannot clean up: what it wrote is what a crash leaves).
    public func kill() { if process.isRunning { sendKill(process.processIdentifier) } }

    public var isRunning: Bool { process.isRunning }

    /// Waits for the exit; after `timeout` seconds the child is killed and the result says so
    /// (status 124 and a last line on standard error), so a hang fails its test instead of CI.
    public func wait(timeout: TimeInterval = 900) -> CommandResult {
        let deadline = Date().addingTimeInterval(timeout)
        var timedOut = false
        while process.isRunning {
            if Date() > deadline { timedOut = true; kill(); break }
            Thread.sleep(forTimeInterval: 0.02)
        }
        process.waitUntilExit()
        group.wait()
        var err = String(decoding: errData, as: UTF8.self)
        if timedOut {
            err +=
                "\ntest harness: diffnas \((process.arguments ?? []).joined(separator: " ")) timed out after \(Int(timeout)) s and was killed\n"
        }
        return CommandResult(
            status: timedOut ? 124 : process.terminationStatus,
            standardOutput: String(decoding: outData, as: UTF8.self), standardError: err)
    }
}

/// Runs the built `diffnas` executable with `arguments` to completion (see `DiffNASProcess` for
/// its environment); a run longer than `timeout` seconds is killed and reported as status 124.
public func runDiffNAS(_ arguments: [String], environment: [String: String] = [:], timeout: TimeInterval = 900) throws -> CommandResult {
    try DiffNASProcess(arguments, environment: environment).wait(timeout: timeout)
}

/// `.build/<config>/diffnas`, found beside the running test bundle.
public func diffnasExecutable() -> URL { builtExecutable("diffnas") }

/// The package's executable `name` (`.build/<config>/<name>`), found beside the running test bundle.
public func builtExecutable(_ name: String) -> URL {
    var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = dir.appendingPathComponent(name)
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        dir = dir.deletingLastPathComponent()
    }
    return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(name)
}

/// A fresh temporary directory, removed by the caller.
public func makeTemporaryDirectory(_ prefix: String = "diffnas-test") throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
