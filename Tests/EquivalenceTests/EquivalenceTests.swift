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

    @Test(arguments: VerificationSuite.cases(family: "gemm")) func gemm(_ c: VerifyCase) throws { try Self.run(c) }
    @Test(arguments: VerificationSuite.cases(family: "conv")) func convolution(_ c: VerifyCase) throws { try Self.run(c) }
    @Test(arguments: VerificationSuite.cases(family: "norm")) func normalization(_ c: VerifyCase) throws { try Self.run(c) }
    @Test(arguments: VerificationSuite.cases(family: "elementwise")) func elementwise(_ c: VerifyCase) throws { try Self.run(c) }
    @Test(arguments: VerificationSuite.cases(family: "pool")) func pooling(_ c: VerifyCase) throws { try Self.run(c) }
    @Test(arguments: VerificationSuite.cases(family: "loss")) func loss(_ c: VerifyCase) throws { try Self.run(c) }
    @Test(arguments: VerificationSuite.cases(family: "reduce")) func reduction(_ c: VerifyCase) throws { try Self.run(c) }
    @Test(arguments: VerificationSuite.cases(family: "topk")) func topK(_ c: VerifyCase) throws { try Self.run(c) }
    @Test(arguments: VerificationSuite.cases(family: "optim")) func optimizers(_ c: VerifyCase) throws { try Self.run(c) }

    @Test func everyFamilyHasCases() {
        for family in VerificationSuite.families {
            #expect(!VerificationSuite.cases(family: family).isEmpty, "no verification cases for family \(family)")
        }
    }
}
