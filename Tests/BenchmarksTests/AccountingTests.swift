import Benchmarks
import NN
import Testing

/// Timing statistics on synthetic samples and the work counted per case.
@Suite struct TimingStatisticsTests {
    @Test func oddCountTakesTheMiddleSample() {
        let s = TimingStatistics(samples: [5, 1, 3, 9, 2])
        #expect(s.medianMilliseconds == 3)
        #expect(s.minMilliseconds == 1)
        #expect(s.maxMilliseconds == 9)
        #expect(s.samplesMilliseconds == [5, 1, 3, 9, 2], "samples are kept in measured order")
    }

    @Test func evenCountAveragesTheMiddleTwo() {
        let s = TimingStatistics(samples: [4, 1, 10, 2])
        #expect(s.medianMilliseconds == 3)
        #expect(s.minMilliseconds == 1)
        #expect(s.maxMilliseconds == 10)
    }

    @Test func oneSampleIsEverything() {
        let s = TimingStatistics(samples: [0.25])
        #expect(s.medianMilliseconds == 0.25 && s.minMilliseconds == 0.25 && s.maxMilliseconds == 0.25)
    }

    @Test func medianIgnoresOneOutlier() {
        let s = TimingStatistics(samples: [10, 10.5, 9.5, 500, 10])
        #expect(s.medianMilliseconds == 10)
        #expect(s.maxMilliseconds == 500)
    }

    @Test func ratesPerUnit() {
        #expect(WorkAmount.flops(2e9).rate(milliseconds: 1000) == 2)  // 2 GFLOP in 1 s
        #expect(WorkAmount.flops(2e9).rate(milliseconds: 10) == 200)
        #expect(WorkAmount.bytes(8e6).rate(milliseconds: 1) == 8)  // 8 MB in 1 ms = 8 GB/s
        #expect(WorkAmount.elements(1e6).rate(milliseconds: 50) == 20)  // 10⁶ in 50 ms = 20 M/s
        #expect(WorkAmount.flops(1).rate(milliseconds: 0) == nil)
        #expect(WorkAmount.flops(1).unit == "GFLOP/s" && WorkAmount.bytes(1).unit == "GB/s" && WorkAmount.elements(1).unit == "Melem/s")
    }
}

@Suite struct WorkAccountingTests {
    @Test func gemmCountsTwoFlopsPerMultiplyAdd() {
        #expect(GemmProblem(m: 1024, n: 1024, k: 1024).flops == Double(2 << 30))
        let batched = GemmProblem(m: 16, n: 1024, k: 144, batch: 128, sharedA: true)
        let batchedFlops: Double = 2 * 16 * 1024 * 144 * 128
        #expect(batched.flops == batchedFlops)
        #expect(batched.aShape == [16, 144] && batched.bShape == [128, 144, 1024] && batched.cShape == [128, 16, 1024])
        let transposed = GemmProblem(m: 3, n: 5, k: 7, transposeA: true, transposeB: true)
        #expect(transposed.aShape == [7, 3] && transposed.bShape == [5, 7] && transposed.layout == "TT")
    }

    @Test func convolutionMultiplyAddsAtResNet20Shapes() {
        // Stage 1 of ResNet-20 at batch 128: 128·16·32·32 outputs × 16·3·3 taps.
        let stage1 = ConvProblem(batch: 128, inChannels: 16, height: 32, width: 32, outChannels: 16)
        let stage1MACs = 128 * 16 * 32 * 32 * 16 * 9
        #expect(stage1.multiplyAdds == stage1MACs)
        #expect(stage1.flops == 2 * 301_989_888)
        // The stride-2 entry of stage 2 halves the output: 16×16.
        let entry = ConvProblem(batch: 128, inChannels: 16, height: 32, width: 32, outChannels: 32, stride: 2)
        #expect(entry.outHeight == 16 && entry.outWidth == 16)
        let entryMACs = 128 * 32 * 16 * 16 * 16 * 9
        #expect(entry.multiplyAdds == entryMACs)
        // Depthwise: one input channel per output channel.
        let depthwise = ConvProblem(batch: 2, inChannels: 8, height: 8, width: 8, outChannels: 8, groups: 8)
        #expect(depthwise.isDepthwise && depthwise.weightShape == [8, 1, 3, 3])
        let depthwiseMACs = 2 * 8 * 8 * 8 * 9
        #expect(depthwise.multiplyAdds == depthwiseMACs)
    }

    @Test func im2colGemmsDoTheConvolutionsWork() {
        for (_, conv) in ConvSuite.resnet20Problems(batch: 128) {
            for (name, gemm) in GemmSuite.im2colProblems(conv) {
                #expect(gemm.flops == conv.flops, "\(name) of \(conv)")
            }
        }
    }

    @Test func maskSuiteCountsOneReadAndOneWritePerElement() {
        #expect(MaskSuite.softMaskBytes(count: 1_000_000) == 8_000_004)  // c' in, m out, a in
        #expect(MaskSuite.gradientBytes(count: 1_000_000) == 8_000_004)  // m, dm in, dL/da out
        #expect(MaskSuite.copyBytes(count: 1_000_000) == 8_000_000)
    }

    @Test func batchNormCasesCountTheirTwoPasses() {
        // Forward: x read by the statistics pass and by the normalize pass, y written; per
        // channel γ and β read, running mean and variance read and written, saved mean and
        // invstd written: 8 floats.
        #expect(MaskSuite.batchNormBytes(count: 1_000_000, channels: 16) == 12_000_000 + 8 * 4 * 16)
        // Backward: dy and x read by the sums pass and by the dx pass, dx written; γ, the saved
        // statistics, dγ and dβ per channel.
        #expect(MaskSuite.batchNormBackwardBytes(count: 1_000_000, channels: 16) == 20_000_000 + 5 * 4 * 16)
        for n in MaskSuite.sizes(quick: false) + MaskSuite.sizes(quick: true) {
            let shape = MaskSuite.batchNormShape(count: n)
            #expect(shape.reduce(1, *) == n && shape[1] == 16 && shape[0] >= 1, "N \(n): \(shape)")
        }
    }

    @Test func suitesCoverTheIssuesSizes() {
        let squares = GemmSuite.problems(quick: false).map(\.problem).filter { $0.m == $0.n && $0.n == $0.k && $0.batch == 1 }
        #expect(Set(squares.map(\.m)) == [256, 512, 1024, 2048])
        #expect(Set(squares.map(\.layout)) == ["NN", "NT", "TN"])
        #expect(TopKSuite.sizes(quick: false) == [1_000, 10_000, 100_000, 1_000_000, 10_000_000])
        #expect(MaskSuite.sizes(quick: false) == [10_000, 100_000, 1_000_000, 10_000_000])
        #expect(!ConvSuite.problems(quick: false).contains { $0.problem.isDepthwise })
        // The issue's depthwise goal: 3×3 and 5×5, dilation 1 and 2, at the cells' shapes.
        let depthwise = ConvSuite.problems(suite: .depthwise, quick: false).map(\.problem)
        #expect(depthwise.allSatisfy { $0.isDepthwise })
        #expect(Set(depthwise.map { [$0.kernel, $0.dilation] }) == [[3, 1], [5, 1], [3, 2], [5, 2]])
        // 'same' padding: the output is the input's size over the stride (1, or 2 for a reduction cell).
        #expect(depthwise.allSatisfy { $0.outHeight * $0.stride == $0.height && $0.outWidth * $0.stride == $0.width })
        #expect(Set(depthwise.map(\.stride)) == [1, 2])
        // The DARTS search network's three stage planes (32², 16², 8²).
        #expect(Set(depthwise.filter { $0.inChannels != 144 }.map(\.height)) == [32, 16, 8])
        // The issue's step cases: ResNet-20 training and the default search's DMS step, batch 128;
        // then one iteration of every cell search at its reduced preset's batch.
        #expect(StepSuite.workloads(quick: false).map(\.batch) == [128, 128, 128, 64, 64, 128, 64, 32, 64])
        #expect(
            StepSuite.workloads(quick: false).map(\.name) == [
                "resnet20 SGD step", "DMS search step", "supernet SGD step", "darts search step", "darts2 search step",
                "pcdarts search step",
                "gdas search step",
                "darts search step", "pcdarts search step",
            ])
        #expect(StepSuite.workloads(quick: false).suffix(2).allSatisfy { $0.detail.hasPrefix("darts ") })
        #expect(
            StepSuite.defaultSupernet(quick: false).resources.macs
                > Architecture.cifarResNet(
                    depth: 20, input: .init(channels: 1, height: 28, width: 28), classes: 10
                ).resources.macs)
    }
}
