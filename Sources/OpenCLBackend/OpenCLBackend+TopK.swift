import OpenCLRuntime
import TensorCore

// The differentiable top-k of DMS on the device (Kernels/topk.cl, Kernels/radix_sort.cl).
extension OpenCLBackend {
    private var topKReduceShape: (groupSize: Int, items: Int) { launchPlan.topKReduce }

    private var topKDefines: [String: String] {
        [
            "REDUCE_WG": "\(topKReduceShape.groupSize)", "REDUCE_ITEMS": "\(topKReduceShape.items)", "MASK_VEC": "\(maskVectorWidth)",
            "GRAD_VECTORS": "\(gradVectors)",
        ]
    }

    /// float16 vectors per item of `soft_mask_grad_ratio_partial` (`GRAD_VECTORS`): the override,
    /// else the plan's; 1 where the items do not read float16s.
    var gradVectors: Int {
        topKReduceShape.items == 16 ? topKGradVectorsOverride ?? launchPlan.topKGradVectors : 1
    }

    private var maskVectorWidth: Int { launchPlan.maskVectorWidth }

    /// Work-groups needed to cover `n` elements, `groupSize·items` per group.
    private func topKGroups(_ n: Int) -> Int {
        let span = topKReduceShape.groupSize * topKReduceShape.items
        return (n + span - 1) / span
    }

    public func rankNormalize(_ importance: Tensor) throws -> Tensor {
        try rankNormalize(importance, plan: launchPlan.radixSort)
    }

    /// `rankNormalize` with an explicit radix sort plan (e.g. to run the work-group variant on
    /// a CPU device in tests, or to tune block counts in benchmarks).
    public func rankNormalize(_ importance: Tensor, plan: RadixSortPlan) throws -> Tensor {
        let n = try TopKShapes.rankNormalize(importance: importance.shape)
        try plan.validate(maxWorkGroupSize: device.maxWorkGroupSize)
        return try radixRanks(importance, count: n, plan: plan)
    }

    public func softMask(normalized: Tensor, ratio a: Tensor, lambda: Float) throws -> Tensor {
        let n = try TopKShapes.softMask(normalized: normalized.shape, ratio: a.shape, lambda: lambda)
        let mask = try empty([n])
        try launch(
            "topk.cl", "soft_mask_sigmoid", defines: topKDefines, global: [(n + maskVectorWidth - 1) / maskVectorWidth],
            [.buffer(buffer(normalized)), .buffer(buffer(a)), .buffer(buffer(mask)), .float(lambda), .index(n)])
        return mask
    }

    /// Σ_i dm_i·(−λ m_i (1 − m_i)): per-group trees of the terms (`gradVectors` float16s per
    /// item on CPUs), then trees of the partials until one value is left (written straight into
    /// the `[1]` result).
    public func softMaskGradRatio(mask: Tensor, gradMask: Tensor, lambda: Float) throws -> Tensor {
        let n = try TopKShapes.softMaskGradRatio(mask: mask.shape, gradMask: gradMask.shape, lambda: lambda)
        let (groupSize, items) = topKReduceShape
        let result = try empty([1])
        let gradSpan = groupSize * items * gradVectors
        var count = (n + gradSpan - 1) / gradSpan
        var current = count == 1 ? result : try empty([count])
        try launch(
            "topk.cl", "soft_mask_grad_ratio_partial", defines: topKDefines,
            global: [count * groupSize], local: [groupSize],
            [
                .buffer(buffer(mask)), .buffer(buffer(gradMask)), .buffer(buffer(current)),
                .float(lambda), .index(n),
            ])
        while count > 1 {
            let groups = topKGroups(count)
            let next = groups == 1 ? result : try empty([groups])
            try launch(
                "topk.cl", "tree_sum_partials", defines: topKDefines,
                global: [groups * groupSize], local: [groupSize],
                [.buffer(buffer(current)), .buffer(buffer(next)), .index(count)])
            current = next
            count = groups
        }
        return result
    }

    /// A flag reduction over the new scores, then the update guarded by the flag on the device;
    /// the flag is read back only for the returned Bool.
    public func taylorImportanceUpdate(_ importance: Tensor, mask: Tensor, gradMask: Tensor, decay: Float) throws -> Bool {
        let n = try TopKShapes.taylorImportanceUpdate(
            importance: importance.shape, mask: mask.shape,
            gradMask: gradMask.shape, decay: decay)
        let (groupSize, _) = topKReduceShape
        let flag = try empty([1])
        try fill(flag, with: 0)  // 0.0f has all bits zero: the int flag reads 0
        try launch(
            "topk.cl", "taylor_nonfinite_flag", defines: topKDefines,
            global: [topKGroups(n) * groupSize], local: [groupSize],
            [.buffer(buffer(mask)), .buffer(buffer(gradMask)), .buffer(buffer(flag)), .index(n)])
        try launch(
            "topk.cl", "taylor_apply_if_finite", defines: topKDefines, global: [n],
            [
                .buffer(buffer(importance)), .buffer(buffer(mask)), .buffer(buffer(gradMask)),
                .buffer(buffer(flag)), .float(decay), .index(n),
            ])
        let bad = try buffer(flag).read(Int32.self, count: 1, queue: queue)[0]
        return bad == 0
    }
}
