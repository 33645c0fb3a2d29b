import TensorCore

// STUB: to be replaced by the real cases.
extension VerificationSuite {
    static func normalizationCases() -> [VerifyCase] { [] }
}
