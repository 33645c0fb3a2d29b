import Foundation
import TensorCore

/// The inputs and `--param key=value` settings of one `diffnas op` run, with typed accessors
/// that turn bad values into one-line errors.
struct OpContext {
    let operation: String
    let backend: any Backend
    let inputs: [Tensor]
    let parameters: [String: String]

    /// Input `index`, or nil when an optional input was not given.
    func input(_ index: Int) -> Tensor? { index < inputs.count ? inputs[index] : nil }

    func float(_ key: String, default value: Float? = nil) throws -> Float {
        guard let text = parameters[key] else {
            if let value { return value }
            throw CLIError("\(operation): missing --param \(key)=<number>")
        }
        guard let parsed = Float(text), parsed.isFinite else {
            throw CLIError("\(operation): --param \(key)=\(text) is not a finite number")
        }
        return parsed
    }

    func int(_ key: String, default value: Int? = nil) throws -> Int {
        guard let text = parameters[key] else {
            if let value { return value }
            throw CLIError("\(operation): missing --param \(key)=<integer>")
        }
        guard let parsed = Int(text) else { throw CLIError("\(operation): --param \(key)=\(text) is not an integer") }
        return parsed
    }

    func bool(_ key: String, default value: Bool) throws -> Bool {
        guard let text = parameters[key] else { return value }
        switch text.lowercased() {
        case "1", "true", "yes": return true
        case "0", "false", "no": return false
        default: throw CLIError("\(operation): --param \(key)=\(text) is not true/false")
        }
    }

    /// A comma-separated integer list such as `2,3,8,8`.
    func ints(_ key: String, default value: [Int]? = nil) throws -> [Int] {
        guard let text = parameters[key] else {
            if let value { return value }
            throw CLIError("\(operation): missing --param \(key)=<comma-separated integers>")
        }
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, parts.allSatisfy({ $0 != nil }) else {
            throw CLIError("\(operation): --param \(key)=\(text) is not a comma-separated list of integers")
        }
        return parts.map { $0! }
    }

    /// Convolution parameters from `stride`, `pad`, `dilation`, `groups` (each default 1/0/1/1).
    func convParams() throws -> Conv2dParams {
        Conv2dParams(
            stride: try int("stride", default: 1), padding: try int("pad", default: 0),
            dilation: try int("dilation", default: 1), groups: try int("groups", default: 1))
    }

    /// Pooling parameters from `kernel`, `stride` (default = kernel), `pad` (default 0).
    func poolParams() throws -> Pool2dParams {
        let kernel = try int("kernel")
        return Pool2dParams(kernel: kernel, stride: try int("stride", default: kernel), padding: try int("pad", default: 0))
    }
}
