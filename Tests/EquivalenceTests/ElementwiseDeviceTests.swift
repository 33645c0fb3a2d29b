import OpenCLBackend
import OpenCLRuntime
import ReferenceBackend
import TensorCore
import Testing
import _TestSupport

/// Device checks of the norm and elementwise families beyond the VerifyCase sweeps: the GPU
/// configuration of the reduction kernels (256-wide local-memory trees) run on this device, and
/// sizes too large for the reference backend, checked against host sums or by properties.
@Suite(
    "Elementwise and batch-norm kernels on the device",
    .enabled(if: SharedBackends.openCLAvailable, Comment(rawValue: SharedBackends.openCLSkipReason)))
struct ElementwiseDeviceTests {
    let reference = SharedBackends.reference

    private func deviceBuffer(_ tensor: Tensor) throws -> Buffer { try #require(tensor.storage as? OpenCLStorage).buffer }

    /// Mean and biased variance of `values[indices]`, in Double.
    private func moments(_ values: [Float], _ indices: [Int]) -> (mean: Double, variance: Double) {
        var sum = 0.0
        for i in indices { sum += Double(values[i]) }
        let mean = sum / Double(indices.count)
        var squares = 0.0
        for i in indices { squares += (Double(values[i]) - mean) * (Double(values[i]) - mean) }
        return (mean, squares / Double(indices.count))
    }

    // MARK: The GPU configuration (group size 256), whatever this device's tuning picks

    /// Shapes that walk a channel every way: a group spanning several rows (S < 4·256), with
    /// lanes carrying into the next row on later steps ([64, 3, 7, 5]: 9 chunks a row, 576 a
    /// channel), rows longer than a group (S > 4·256), S = 1 with C < 4, and 1×1 maps.
    static let treeShapes: [[Int]] = [[3, 5, 7, 5], [64, 3, 7, 5], [2, 3, 31, 31], [1, 2, 64, 65], [300, 3], [5, 7, 1, 1]]

    @Test(arguments: treeShapes)
    func batchNormGroupTreesAt256MatchReference(shape: [Int]) throws {
        let cl = try SharedBackends.requireOpenCL()
        let defines = ["BN_GROUP_SIZE": "256"]
        let (batch, channels) = (shape[0], shape[1])
        let spatial = shape.count == 4 ? shape[2] * shape[3] : 1
        let n = batch * spatial
        var rng = SeededRandom(seed: 256)
        let xs = rng.normal(shape.reduce(1, *), mean: 2, std: 3), dys = rng.uniform(shape.reduce(1, *))
        let rMean0 = rng.uniform(channels), rVar0 = rng.uniform(channels, in: 0.5...1.5)
        // Reference: the statistics, then the gradient sums from the reference's saved statistics.
        let refMean = try reference.upload(rMean0, shape: [channels]), refVar = try reference.upload(rVar0, shape: [channels])
        let ones = [Float](repeating: 1, count: channels)
        let forward = try reference.batchNormTraining(
            try reference.upload(xs, shape: shape), gamma: try reference.upload(ones, shape: [channels]),
            beta: try reference.zeros([channels]), runningMean: refMean, runningVar: refVar,
            momentum: 0.25, epsilon: 1e-4)
        let grads = try reference.batchNormBackward(
            try reference.upload(dys, shape: shape), input: try reference.upload(xs, shape: shape),
            gamma: try reference.upload(ones, shape: [channels]),
            savedMean: forward.savedMean, savedInvStd: forward.savedInvStd)
        // Device: the two group-tree kernels compiled for 256-wide groups.
        let x = try cl.upload(xs, shape: shape), dy = try cl.upload(dys, shape: shape)
        let mean = try cl.zeros([channels]), invStd = try cl.zeros([channels])
        let rMean = try cl.upload(rMean0, shape: [channels]), rVar = try cl.upload(rVar0, shape: [channels])
        try cl.kernel("batchnorm.cl", "batchnorm_stats_group_tree", defines: defines).launch(
            on: cl.queue, global: [channels * 256], local: [256],
            arguments: [
                .buffer(try deviceBuffer(x)), .int(Int32(batch)), .int(Int32(channels)), .int(Int32(spatial)),
                .float(1e-4), .float(0.25), .buffer(try deviceBuffer(mean)), .buffer(try deviceBuffer(invStd)),
                .buffer(try deviceBuffer(rMean)), .buffer(try deviceBuffer(rVar)),
            ])
        let savedMean = try cl.upload(try reference.download(forward.savedMean), shape: [channels])
        let savedInvStd = try cl.upload(try reference.download(forward.savedInvStd), shape: [channels])
        let sumDy = try cl.zeros([channels]), sumDyXhat = try cl.zeros([channels])
        try cl.kernel("batchnorm.cl", "batchnorm_backward_sums_group_tree", defines: defines).launch(
            on: cl.queue, global: [channels * 256], local: [256],
            arguments: [
                .buffer(try deviceBuffer(dy)), .buffer(try deviceBuffer(x)), .int(Int32(batch)), .int(Int32(channels)),
                .int(Int32(spatial)), .buffer(try deviceBuffer(savedMean)), .buffer(try deviceBuffer(savedInvStd)),
                .buffer(try deviceBuffer(sumDy)), .buffer(try deviceBuffer(sumDyXhat)),
            ])
        // Statistics: O(1) values a few float roundings from the Double-summed reference (the
        // mean ~3 carries the absolute error); sums of n O(1) terms: error ~ sqrt(n)·2⁻²⁴·…,
        // bounded here by 1e-5·sqrt(n) as in the verification cases.
        assertClose(try cl.download(mean), try reference.download(forward.savedMean), atol: 1e-5, rtol: 1e-5, "mean \(shape)")
        assertClose(try cl.download(invStd), try reference.download(forward.savedInvStd), atol: 1e-5, rtol: 1e-5, "invstd \(shape)")
        assertClose(try cl.download(rMean), try reference.download(refMean), atol: 1e-5, rtol: 1e-5, "running mean \(shape)")
        assertClose(try cl.download(rVar), try reference.download(refVar), atol: 1e-5, rtol: 1e-5, "running var \(shape)")
        let sumTolerance = 1e-5 * Float(n).squareRoot()
        assertClose(try cl.download(sumDy), try reference.download(grads.beta), atol: sumTolerance, rtol: 1e-5, "Σdy \(shape)")
        assertClose(try cl.download(sumDyXhat), try reference.download(grads.gamma), atol: sumTolerance, rtol: 1e-5, "Σdy·x̂ \(shape)")
    }

    /// Integer inputs: every partial sum is exact, so the 256-wide trees must match exactly.
    @Test(arguments: treeShapes)
    func dotProductTreesAt256MatchReferenceExactly(shape: [Int]) throws {
        let cl = try SharedBackends.requireOpenCL()
        let defines = ["EW_GROUP_SIZE": "256"]
        let (batch, channels) = (shape[0], shape[1])
        let spatial = shape.count == 4 ? shape[2] * shape[3] : 1
        let count = shape.reduce(1, *)
        var rng = SeededRandom(seed: 257)
        let dys = rng.integers(count), xs = rng.integers(count)
        let maskGrads = try reference.channelMaskBackward(
            try reference.upload(dys, shape: shape), input: try reference.upload(xs, shape: shape),
            mask: try reference.zeros([channels]))
        let scaleGrads = try reference.scaleByElementBackward(
            try reference.upload(dys, shape: shape), input: try reference.upload(xs, shape: shape),
            try reference.zeros([1]), index: 0)
        let dy = try cl.upload(dys, shape: shape), x = try cl.upload(xs, shape: shape)
        let dMask = try cl.zeros([channels])
        try cl.kernel("elementwise.cl", "channel_dot_group_tree", defines: defines).launch(
            on: cl.queue, global: [channels * 256], local: [256],
            arguments: [
                .buffer(try deviceBuffer(dy)), .buffer(try deviceBuffer(x)), .int(Int32(batch)), .int(Int32(channels)),
                .int(Int32(spatial)), .buffer(try deviceBuffer(dMask)),
            ])
        #expect(try cl.download(dMask) == reference.download(maskGrads.mask), "dmask \(shape)")
        // Two-stage full dot product with 3 groups of 256 (chunks of whole float4s, tail in the last group).
        let groups = 3, chunk4 = (count / 4 + groups - 1) / groups
        let partial = try cl.zeros([groups]), ds = try cl.zeros([1])
        try cl.kernel("elementwise.cl", "dot_partial_group_tree", defines: defines).launch(
            on: cl.queue, global: [groups * 256], local: [256],
            arguments: [
                .buffer(try deviceBuffer(dy)), .buffer(try deviceBuffer(x)), .int(Int32(count)), .int(Int32(chunk4)),
                .buffer(try deviceBuffer(partial)),
            ])
        try cl.kernel("elementwise.cl", "sum_final_group_tree", defines: defines).launch(
            on: cl.queue, global: [256], local: [256],
            arguments: [.buffer(try deviceBuffer(partial)), .int(Int32(groups)), .buffer(try deviceBuffer(ds)), .int(0)])
        #expect(try cl.download(ds) == reference.download(scaleGrads.scale), "ds \(shape)")
    }

    // MARK: Sizes too large for the reference backend

    /// Integer-valued elementwise ops on 2²² + 5 elements (many work-groups) against host arithmetic (exact).
    @Test func largeElementwiseOpsAreExact() throws {
        let cl = try SharedBackends.requireOpenCL()
        let count = 1 << 22 | 5
        let a = (0..<count).map { Float($0 % 7 - 3) }, b = (0..<count).map { Float($0 % 5 - 2) }
        let ta = try cl.upload(a, shape: [count]), tb = try cl.upload(b, shape: [count])
        let sum = try cl.download(try cl.add(ta, tb)), product = try cl.download(try cl.multiply(ta, tb))
        let relu = try cl.download(try cl.relu(ta)), gated = try cl.download(try cl.reluBackward(tb, input: ta))
        try cl.axpy(-2, ta, into: tb)
        let axpy = try cl.download(tb)
        var wrong = 0
        for i in 0..<count {
            let (ai, bi): (Float, Float) = (a[i], b[i])
            let reluExpected: Float = ai > 0 ? ai : 0, gatedExpected: Float = ai > 0 ? bi : 0
            let axpyExpected: Float = bi - 2 * ai
            if sum[i] != ai + bi { wrong += 1 }
            if product[i] != ai * bi { wrong += 1 }
            if relu[i] != reluExpected { wrong += 1 }
            if gated[i] != gatedExpected { wrong += 1 }
            if axpy[i] != axpyExpected { wrong += 1 }
        }
        #expect(wrong == 0, "\(wrong) results (of 5 ops × \(count) elements) differ from host arithmetic")
    }

    /// ds over 2²³ + 3 elements of ±1/0 products (every partial sum exact) equals the host sum;
    /// dmask over 262 144 elements per channel likewise.
    @Test func largeReductionsAreExact() throws {
        let cl = try SharedBackends.requireOpenCL()
        let count = 1 << 23 | 3
        let dy = (0..<count).map { Float(($0 * 7) % 3 - 1) }, x = (0..<count).map { Float(($0 / 3) % 3 - 1) }
        var expected = 0.0
        for i in 0..<count { expected += Double(dy[i] * x[i]) }
        let grads = try cl.scaleByElementBackward(
            try cl.upload(dy, shape: [count]), input: try cl.upload(x, shape: [count]),
            try cl.upload([0.5, 3], shape: [2]), index: 1)
        #expect(try cl.download(grads.scale) == [Float(expected)])
        let shape = [64, 4, 64, 64], perRow = 64 * 64
        let mdy = (0..<(64 * 4 * perRow)).map { Float(($0 * 5) % 3 - 1) }, mx = (0..<(64 * 4 * perRow)).map { Float(($0 / 7) % 3 - 1) }
        var channelSums = [Double](repeating: 0, count: 4)
        for i in mdy.indices { channelSums[(i / perRow) % 4] += Double(mdy[i] * mx[i]) }
        let maskGrads = try cl.channelMaskBackward(
            try cl.upload(mdy, shape: shape), input: try cl.upload(mx, shape: shape),
            mask: try cl.upload([1, 2, 3, 4], shape: [4]))
        #expect(try cl.download(maskGrads.mask) == channelSums.map { Float($0) })
    }

    /// Batch norm over 131 072 elements per channel, data far off-centre (mean 1000, std 1):
    /// the statistics match Double sums of the stored values, y has per-channel mean β and
    /// variance γ²·σ²/(σ² + ε), and dx is orthogonal to 1 and to x̂ as the formula demands.
    @Test func largeBatchNormStatisticsAndGradientProperties() throws {
        let cl = try SharedBackends.requireOpenCL()
        let (batch, channels, spatial) = (32, 4, 64 * 64)
        let shape = [batch, channels, 64, 64]
        var rng = SeededRandom(seed: 4096)
        let xs = rng.normal(batch * channels * spatial, mean: 1000, std: 1), dys = rng.uniform(batch * channels * spatial)
        let gamma: [Float] = [1, 2, 0.5, 1.5], beta: [Float] = [0, -1, 3, 0.25]
        let x = try cl.upload(xs, shape: shape)
        let forward = try cl.batchNormTraining(
            x, gamma: try cl.upload(gamma, shape: [4]), beta: try cl.upload(beta, shape: [4]),
            runningMean: try cl.zeros([4]), runningVar: try cl.zeros([4]), momentum: 0.1, epsilon: 1e-5)
        let grads = try cl.batchNormBackward(
            try cl.upload(dys, shape: shape), input: x, gamma: try cl.upload(gamma, shape: [4]),
            savedMean: forward.savedMean, savedInvStd: forward.savedInvStd)
        let y = try cl.download(forward.output), dx = try cl.download(grads.input)
        let mean = try cl.download(forward.savedMean), invStd = try cl.download(forward.savedInvStd)
        for c in 0..<channels {
            var indices: [Int] = []
            for b in 0..<batch {
                let row: Int = (b * channels + c) * spatial
                indices.append(contentsOf: row..<(row + spatial))
            }
            let (mu, variance) = moments(xs, indices)
            let (g, bt) = (Double(gamma[c]), Double(beta[c]))
            // The mean to within a few ulp of 1000 (6e-5 each); invstd to float precision.
            let meanError: Double = abs(Double(mean[c]) - mu)
            #expect(meanError < 2.5e-4, "mean[\(c)] \(mean[c]) vs \(mu)")
            let invStdRatio: Double = Double(invStd[c]) * (variance + 1e-5).squareRoot()
            #expect(abs(invStdRatio - 1) < 1e-4, "invstd[\(c)]")
            let (yMean, yVariance) = moments(y, indices)
            #expect(abs(yMean - bt) < 1e-3 * g, "mean of y[\(c)] \(yMean)")
            let expectedVariance: Double = g * g * variance / (variance + 1e-5)
            #expect(abs(yVariance / expectedVariance - 1) < 1e-3, "variance of y[\(c)] \(yVariance)")
            // Σdx = 0 and Σdx·x̂ = 0 (to ε/σ²), relative to the scale Σ|dx|.
            var sumDx = 0.0, sumDxXhat = 0.0, scale = 0.0
            for i in indices {
                let xhat: Double = (Double(xs[i]) - Double(mean[c])) * Double(invStd[c])
                let d = Double(dx[i])
                sumDx += d
                sumDxXhat += d * xhat
                scale += abs(d)
            }
            #expect(abs(sumDx) < 1e-3 * scale, "Σdx[\(c)]")
            #expect(abs(sumDxXhat) < 1e-3 * scale, "Σdx·x̂[\(c)]")
        }
    }
}
