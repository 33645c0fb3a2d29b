import ArgumentParser
import Foundation
import ReferenceBackend
import TensorCore
import Verification

/// `diffnas verify`: every kernel against the CPU reference on the chosen device.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every OpenCL kernel against the CPU reference backend on a device.",
        discussion: """
            Runs each operation at a sweep of awkward shapes with fixed-seed inputs on the device and on \
            the reference backend, and compares every output (gradients included). Prints one row per \
            case; exits non-zero if any case fails.
            """
    )

    @OptionGroup var options: GlobalOptions

    @Option(name: .long, help: "Only these families, comma-separated (\(VerifyFamily.allCases.map(\.rawValue).joined(separator: ","))).")
    var family: String?

    @Flag(name: .long, help: "A short subset: one case per operation.")
    var quick = false

    @Flag(name: .long, help: "Print JSON instead of a table.")
    var json = false

    func validate() throws {
        if options.backend == .reference {
            throw ValidationError("verify compares an OpenCL device with the reference backend; --backend reference makes no sense here")
        }
        if let family {
            let unknown = family.split(separator: ",").map(String.init).filter { VerifyFamily(rawValue: $0) == nil }
            if !unknown.isEmpty {
                throw ValidationError(
                    "unknown family \(unknown.joined(separator: ", ")); choose from \(VerifyFamily.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
        }
    }

    func run() throws {
        let backend = try options.openDevice()
        var cases = quick ? VerificationSuite.quick : VerificationSuite.all
        if let family {
            let wanted = Set(family.split(separator: ",").compactMap { VerifyFamily(rawValue: String($0)) })
            cases = cases.filter { wanted.contains($0.family) }
        }
        if !json { printError("verifying \(cases.count) cases on \(backend.deviceDescription)") }
        let reference = ReferenceBackend()
        var results: [VerifyResult] = []
        var table = TextTable(["operation", "shape", "max abs err", "max rel err", "tolerance", "result"])
        for (index, testCase) in cases.enumerated() {
            if !json && standardErrorIsTerminal {
                FileHandle.standardError.write(Data("\r[\(index + 1)/\(cases.count)] \(testCase.operation)\u{1B}[K".utf8))
            }
            let result = Verifier.check(testCase, device: backend, reference: reference)
            results.append(result)
            let tolerance =
                testCase.tolerance.perElementBound == nil
                ? testCase.tolerance.description
                : "\(testCase.tolerance.description): \(String(format: "%.3f", Double(result.maxBoundFraction))) of it"
            table.add([
                testCase.operation, testCase.shape, format(result.maxAbsoluteError), format(result.maxRelativeError),
                tolerance, result.passed ? "pass" : "FAIL",
            ])
        }
        if !json && standardErrorIsTerminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        let failures = results.filter { !$0.passed }
        if json {
            let objects: [[String: Any]] = results.map {
                [
                    "family": $0.testCase.family.rawValue, "operation": $0.testCase.operation, "shape": $0.testCase.shape,
                    "maxAbsError": Double($0.maxAbsoluteError), "maxRelError": Double($0.maxRelativeError),
                    "tolerance": $0.testCase.tolerance.description, "passed": $0.passed, "boundFraction": Double($0.maxBoundFraction),
                    "error": $0.passed ? "" : $0.failureDescription,
                ]
            }
            let report: [String: Any] = [
                "device": backend.deviceDescription, "cases": objects,
                "passed": results.count - failures.count, "failed": failures.count,
            ]
            let data = try JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(table.render())
            print(summaryByOperation(results).render())
            for failure in failures { print("FAIL \(failure.failureDescription)") }
            print("\(results.count - failures.count) passed, \(failures.count) failed on \(backend.deviceDescription)")
        }
        if !failures.isEmpty { throw ExitCode(1) }
    }

    /// The largest errors per operation over all its cases.
    private func summaryByOperation(_ results: [VerifyResult]) -> TextTable {
        var table = TextTable(["operation", "cases", "worst abs err", "worst rel err", "result"])
        var order: [String] = []
        var groups: [String: [VerifyResult]] = [:]
        for r in results {
            if groups[r.testCase.operation] == nil { order.append(r.testCase.operation) }
            groups[r.testCase.operation, default: []].append(r)
        }
        for op in order {
            let rs = groups[op]!
            table.add([
                op, "\(rs.count)", format(rs.map(\.maxAbsoluteError).max() ?? 0),
                format(rs.map(\.maxRelativeError).max() ?? 0), rs.allSatisfy(\.passed) ? "pass" : "FAIL",
            ])
        }
        return table
    }

    private func format(_ x: Float) -> String { x == 0 ? "0" : String(format: "%.2e", Double(x)) }
}
