import OpenCLBackend
import ReferenceBackend
import TensorCore
import Testing
import Verification
import _TestSupport

/// Every operation, OpenCL vs the reference backend, over the fixed-seed shape sweeps of
/// `VerificationSuite` — the same checks `diffnas verify` runs on any device.
@Suite("OpenCL matches the reference", .enabled(if: SharedBackends.openCLAvailable, Comment(rawValue: SharedBackends.openCLSkipReason)))
struct EquivalenceTests {
    static func run(_ testCase: VerifyCase) throws {
        let result = Verifier.check(testCase, device: try SharedBackends.requireOpenCL(), reference: SharedBackends.reference)
        #expect(result.passed, "\(result.failureDescription)")
    }

    @Test(arguments: VerificationSuite.cases(family: .gemm)) func gemm(_ c: VerifyCase) throws { try Self.run(c) }
    /// The real-valued ResNet-20 convolutions run at batch 128 in `diffnas verify`; here the same
    /// shapes at batch 16, which keeps the debug-build reference (and its bound) within the suite's time.
    static let convolutionCases: [VerifyCase] = {
        var seed: UInt64 = 0x5245_1000
        return VerificationSuite.cases(family: .conv).filter { $0.operation != VerificationSuite.realValuedConvolution }
            + VerificationSuite.realConvolutionCases(batch: 16, seed: &seed)
    }()
    @Test(arguments: convolutionCases) func convolution(_ c: VerifyCase) throws { try Self.run(c) }
    @Test(arguments: VerificationSuite.cases(family: .norm)) func normalization(_ c: VerifyCase) throws { try Self.run(c) }
    @Test(arguments: VerificationSuite.cases(family: .elementwise)) func elementwise(_ c: VerifyCase) throws { try Self.run(c) }
    @Test(arguments: VerificationSuite.cases(family: .pool)) func pooling(_ c: VerifyCase) throws { try Self.run(c) }
    @Test(arguments: VerificationSuite.cases(family: .loss)) func loss(_ c: VerifyCase) throws { try Self.run(c) }
    @Test(arguments: VerificationSuite.cases(family: .reduce)) func reduction(_ c: VerifyCase) throws { try Self.run(c) }
    @Test(arguments: VerificationSuite.cases(family: .topk)) func topK(_ c: VerifyCase) throws { try Self.run(c) }
    @Test(arguments: VerificationSuite.cases(family: .optim)) func optimizers(_ c: VerifyCase) throws { try Self.run(c) }
    @Test(arguments: VerificationSuite.cases(family: .cells)) func cells(_ c: VerifyCase) throws { try Self.run(c) }

    @Test func everyFamilyHasCases() {
        for family in VerifyFamily.allCases {
            #expect(!VerificationSuite.cases(family: family).isEmpty, "no verification cases for family \(family)")
        }
    }
}
