import TensorCore

/// Every device-vs-reference check of the compute core. `diffnas verify` runs these on any
/// device; the EquivalenceTests run the same list on PoCL in CI.
///
/// Each family lives in `Cases+<Family>.swift`. Inputs come from `SeededRandom` with fixed
/// seeds; shapes sweep the awkward sizes (1, 7, 31, 93, non-multiples of every tile, batch 1,
/// stride/pad/dilation/groups 1 and 2). Integer-valued inputs make a case exact where the
/// arithmetic allows it; the real-valued GEMM and convolution cases (`Cases+RealValued.swift`)
/// check the rounding of real sums against a per-element bound.
public enum VerificationSuite {

    public static var all: [VerifyCase] {
        gemmCases() + convolutionCases() + normalizationCases() + elementwiseCases() + poolingCases()
            + lossCases() + reductionCases() + topKCases() + optimizerCases() + realValuedCases()
            + cellCases()
    }

    /// The cases of one family.
    public static func cases(family: VerifyFamily) -> [VerifyCase] { all.filter { $0.family == family } }

    /// A short subset: the first case of each operation, plus those marked `quick`.
    public static var quick: [VerifyCase] {
        var seen = Set<String>()
        return all.filter { $0.quick || seen.insert($0.operation).inserted }
    }
}
