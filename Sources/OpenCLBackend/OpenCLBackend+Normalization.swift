import OpenCLRuntime
import TensorCore

// Batch normalization on the device: Kernels/batchnorm.cl. Per-channel statistics and
// gradient sums run one work-group per channel (`channelReductionGroupSize` work-items: a
// local-memory tree on GPUs, one looping work-item on the CPU device); normalization and dx
// run a 2-D grid over [row elements / 4, N·C rows] on GPUs, one work-item per row on CPU
// devices (`LaunchPlan.rowLoops`, via `rowLaunch`). For S = 1 ([N, C] inputs), where the
// channels are the contiguous axis, the `*_columns` kernels run along the channels instead.
extension OpenCLBackend {
    /// The -D set every batchnorm.cl kernel is compiled with (one program per device).
    private var batchNormDefines: [String: String] { ["BN_GROUP_SIZE": "\(channelReductionGroupSize)"] }

    /// `y = γ·(x − mean)·invstd + β` with invstd = `stat`, or `1/sqrt(stat + ε)` when
    /// `statIsVariance`.
    private func normalize(
        _ x: Tensor, into y: Tensor, _ layout: PerChannelLayout, gamma: Tensor, beta: Tensor,
        mean: Tensor, stat: Tensor, statIsVariance: Bool, epsilon: Float
    ) throws {
        let (batch, channels, spatial) = (layout.batch, layout.channels, layout.spatial)
        let parameters: [KernelArgument] = [
            .buffer(buffer(gamma)), .buffer(buffer(beta)), .buffer(buffer(mean)), .buffer(buffer(stat)),
            .int(statIsVariance ? 1 : 0), .float(epsilon),
        ]
        if spatial == 1 {
            try launch(
                "batchnorm.cl", "batchnorm_normalize_columns_vec4", defines: batchNormDefines,
                global: [(channels + 3) / 4, batch], local: rowKernelLocalSize(rowLength: channels),
                [.buffer(buffer(x)), .buffer(buffer(y)), .index(batch), .index(channels)] + parameters)
        } else {
            let rows = batch * channels, shape = rowLaunch("batchnorm_normalize", spatial: spatial, rows: rows)
            try launch(
                "batchnorm.cl", shape.kernel, defines: batchNormDefines, global: shape.global, local: shape.local,
                [.buffer(buffer(x)), .buffer(buffer(y)), .index(channels), .index(spatial), .index(rows)]
                    + parameters)
        }
    }

    public func batchNormTraining(
        _ x: Tensor, gamma: Tensor, beta: Tensor, runningMean: Tensor, runningVar: Tensor,
        momentum: Float, epsilon: Float
    ) throws -> BatchNormForward {
        let layout = try NormalizationShapes.batchNormTraining(
            x: x.shape, gamma: gamma.shape, beta: beta.shape, runningMean: runningMean.shape, runningVar: runningVar.shape,
            momentum: momentum, epsilon: epsilon)
        try requireInt32Elements("batchNormTraining", x.count)
        let (batch, channels, spatial) = (layout.batch, layout.channels, layout.spatial)
        let mean = try empty([channels]), invStd = try empty([channels])
        let outputs: [KernelArgument] = [
            .float(epsilon), .float(momentum), .buffer(buffer(mean)), .buffer(buffer(invStd)),
            .buffer(buffer(runningMean)), .buffer(buffer(runningVar)),
        ]
        if reducesByColumns(layout) {
            try launch(
                "batchnorm.cl", "batchnorm_stats_columns", defines: batchNormDefines,
                global: [(channels + 3) / 4], local: [elementwiseLocalSize],
                [.buffer(buffer(x)), .index(batch), .index(channels)] + outputs)
        } else {
            let groupSize = channelReductionGroupSize
            try launch(
                "batchnorm.cl", "batchnorm_stats_group_tree", defines: batchNormDefines,
                global: [channels * groupSize], local: [groupSize],
                [.buffer(buffer(x)), .index(batch), .index(channels), .index(spatial)] + outputs)
        }
        let y = try empty(x.shape)
        try normalize(x, into: y, layout, gamma: gamma, beta: beta, mean: mean, stat: invStd, statIsVariance: false, epsilon: epsilon)
        return BatchNormForward(output: y, savedMean: mean, savedInvStd: invStd)
    }

    public func batchNormInference(
        _ x: Tensor, gamma: Tensor, beta: Tensor, runningMean: Tensor, runningVar: Tensor,
        epsilon: Float
    ) throws -> Tensor {
        let layout = try NormalizationShapes.batchNormInference(
            x: x.shape, gamma: gamma.shape, beta: beta.shape, runningMean: runningMean.shape, runningVar: runningVar.shape,
            epsilon: epsilon)
        try requireInt32Elements("batchNormInference", x.count)
        let y = try empty(x.shape)
        try normalize(
            x, into: y, layout, gamma: gamma, beta: beta, mean: runningMean, stat: runningVar, statIsVariance: true, epsilon: epsilon)
        return y
    }

    public func batchNormBackward(
        _ dy: Tensor, input x: Tensor, gamma: Tensor, savedMean: Tensor, savedInvStd: Tensor
    ) throws -> BatchNormGradients {
        let layout = try NormalizationShapes.batchNormBackward(
            dy: dy.shape, x: x.shape, gamma: gamma.shape, savedMean: savedMean.shape, savedInvStd: savedInvStd.shape)
        try requireInt32Elements("batchNormBackward", x.count)
        let (batch, channels, spatial) = (layout.batch, layout.channels, layout.spatial)
        let dBeta = try empty([channels]), dGamma = try empty([channels])
        let dx = try empty(x.shape)
        guard layout.perChannel > 0 else {  // no elements: empty sums, empty dx
            try fill(dBeta, with: 0)
            try fill(dGamma, with: 0)
            return BatchNormGradients(input: dx, gamma: dGamma, beta: dBeta)
        }
        // dβ = Σdy and dγ = Σdy·x̂ per channel.
        let statistics: [KernelArgument] = [
            .buffer(buffer(savedMean)), .buffer(buffer(savedInvStd)), .buffer(buffer(dBeta)), .buffer(buffer(dGamma)),
        ]
        if reducesByColumns(layout) {
            try launch(
                "batchnorm.cl", "batchnorm_backward_sums_columns", defines: batchNormDefines,
                global: [(channels + 3) / 4], local: [elementwiseLocalSize],
                [.buffer(buffer(dy)), .buffer(buffer(x)), .index(batch), .index(channels)] + statistics)
        } else {
            let groupSize = channelReductionGroupSize
            try launch(
                "batchnorm.cl", "batchnorm_backward_sums_group_tree", defines: batchNormDefines,
                global: [channels * groupSize], local: [groupSize],
                [.buffer(buffer(dy)), .buffer(buffer(x)), .index(batch), .index(channels), .index(spatial)] + statistics)
        }
        // dx from the sums.
        let parameters: [KernelArgument] = [
            .buffer(buffer(gamma)), .buffer(buffer(savedMean)), .buffer(buffer(savedInvStd)),
            .buffer(buffer(dBeta)), .buffer(buffer(dGamma)),
        ]
        if spatial == 1 {
            try launch(
                "batchnorm.cl", "batchnorm_backward_input_columns_vec4", defines: batchNormDefines,
                global: [(channels + 3) / 4, batch], local: rowKernelLocalSize(rowLength: channels),
                [.buffer(buffer(dy)), .buffer(buffer(x)), .buffer(buffer(dx)), .index(batch), .index(channels)] + parameters)
        } else {
            let rows = batch * channels, shape = rowLaunch("batchnorm_backward_input", spatial: spatial, rows: rows)
            try launch(
                "batchnorm.cl", shape.kernel, defines: batchNormDefines, global: shape.global, local: shape.local,
                [
                    .buffer(buffer(dy)), .buffer(buffer(x)), .buffer(buffer(dx)), .index(channels), .index(spatial),
                    .index(rows), .index(layout.perChannel),
                ] + parameters)
        }
        return BatchNormGradients(input: dx, gamma: dGamma, beta: dBeta)
    }
}
