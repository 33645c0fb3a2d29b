import OpenCLRuntime
import TensorCore

// Elementwise operations on the device: Kernels/elementwise.cl. Flat ops run one work-item per
// 4 elements (aligned float4); channel ops run a 2-D grid over [row elements / 4, N·C rows]
// (for [N, C] inputs over [C / 4, N]); the backward reductions run one work-group per channel
// (dmask; one work-item per 4 channels for wide [N, C]) or two stages (ds). The launch-plan
// helpers below are shared with OpenCLBackend+Normalization.swift.
extension OpenCLBackend {
    // MARK: Launch shapes (the device constants are in `launchPlan`)

    var channelReductionGroupSize: Int { launchPlan.channelReductionGroupSize }
    var elementwiseLocalSize: Int { launchPlan.elementwiseLocalSize }

    /// Local size `[lx, ly]` of a 2-D kernel over global `[ceil(rowLength / 4), rows]`: lx the
    /// power of two covering a row's float4s (at most `elementwiseLocalSize`), ly filling the
    /// rest of the group with further rows, so short rows still fill a group.
    func rowKernelLocalSize(rowLength: Int) -> [Int] {
        let total = elementwiseLocalSize
        var lx = 1
        while lx < (rowLength + 3) / 4 && lx < total { lx *= 2 }
        return [lx, total / lx]
    }

    /// The kernel `<stem>_rows_loop` over [rows] on CPU devices (or as `rowLoopsOverride`
    /// says), else `<stem>_rows_vec4` over [⌈spatial/4⌉, rows] (the same arguments): the
    /// per-channel row kernels of elementwise.cl and batchnorm.cl.
    func rowLaunch(_ stem: String, spatial: Int, rows: Int) -> (kernel: String, global: [Int], local: [Int]?) {
        rowLoops
            ? (stem + "_rows_loop", [rows], nil)
            : (stem + "_rows_vec4", [(spatial + 3) / 4, rows], rowKernelLocalSize(rowLength: spatial))
    }

    /// Whether a per-channel reduction over `layout` runs as one work-item per 4 channels
    /// walking the rows (`*_columns`) instead of one work-group per channel (`*_group_tree`):
    /// for S = 1 ([N, C]), where channels are the contiguous axis, once that gives at least a
    /// group's worth of work-items (C ≥ 4 on the CPU device, C ≥ 1024 on GPUs).
    func reducesByColumns(_ layout: PerChannelLayout) -> Bool {
        layout.spatial == 1 && layout.channels >= 4 * channelReductionGroupSize
    }

    /// The -D set every elementwise.cl kernel is compiled with (one program per device).
    var elementwiseDefines: [String: String] {
        ["EW_GROUP_SIZE": "\(channelReductionGroupSize)", "EW_VEC": "\(flatVectorWidth)"]
    }

    /// Throws unless `count` elements can be indexed with the kernels' 32-bit `int` (with
    /// headroom for index + group-size stepping).
    func requireInt32Elements(_ op: String, _ count: Int) throws {
        guard count <= Int(Int32.max) - (1 << 16) else {
            throw TensorError.argument("\(op): \(count) elements exceed the 32-bit indexing of the OpenCL kernels")
        }
    }

    /// Elements per work-item of the flat kernels: `flatVectorWidthOverride`, else the plan's.
    var flatVectorWidth: Int { flatVectorWidthOverride ?? launchPlan.flatVectorWidth }

    /// Launches a flat `*_flat` kernel over `count` elements (one work-item per
    /// `LaunchPlan.flatVectorWidth`).
    private func launchFlat(_ name: String, count: Int, _ arguments: [KernelArgument]) throws {
        try requireInt32Elements(name, count)
        let width = flatVectorWidth
        try launch(
            "elementwise.cl", name, defines: elementwiseDefines, global: [(count + width - 1) / width],
            local: [elementwiseLocalSize], arguments)
    }

    /// `y[n, c, s] = x[n, c, s]·mask[c]` into `y`: along rows of S elements, or for S = 1
    /// along rows of C channels.
    private func launchChannelMask(_ x: Tensor, mask: Tensor, into y: Tensor, _ layout: PerChannelLayout) throws {
        try requireInt32Elements("channelMask", x.count)
        let (batch, channels, spatial) = (layout.batch, layout.channels, layout.spatial)
        if spatial == 1 {
            try launch(
                "elementwise.cl", "channel_mask_columns_vec4", defines: elementwiseDefines,
                global: [(channels + 3) / 4, batch], local: rowKernelLocalSize(rowLength: channels),
                [.buffer(buffer(x)), .buffer(buffer(mask)), .buffer(buffer(y)), .index(batch), .index(channels)])
        } else {
            let rows = batch * channels, shape = rowLaunch("channel_mask", spatial: spatial, rows: rows)
            try launch(
                "elementwise.cl", shape.kernel, defines: elementwiseDefines, global: shape.global, local: shape.local,
                [
                    .buffer(buffer(x)), .buffer(buffer(mask)), .buffer(buffer(y)),
                    .index(channels), .index(spatial), .index(rows),
                ])
        }
    }

    // MARK: Operations

    public func relu(_ x: Tensor) throws -> Tensor {
        let y = try empty(x.shape)
        try launchFlat("relu_flat", count: x.count, [.buffer(buffer(x)), .buffer(buffer(y)), .index(x.count)])
        return y
    }

    public func reluBackward(_ dy: Tensor, input x: Tensor) throws -> Tensor {
        try ElementwiseShapes.same("reluBackward", "dy", dy.shape, "x", x.shape)
        let dx = try empty(x.shape)
        try launchFlat(
            "relu_backward_flat", count: x.count,
            [.buffer(buffer(dy)), .buffer(buffer(x)), .buffer(buffer(dx)), .index(x.count)])
        return dx
    }

    public func add(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        try ElementwiseShapes.same("add", "a", a.shape, "b", b.shape)
        let y = try empty(a.shape)
        try launchFlat("add_flat", count: a.count, [.buffer(buffer(a)), .buffer(buffer(b)), .buffer(buffer(y)), .index(a.count)])
        return y
    }

    public func multiply(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        try ElementwiseShapes.same("multiply", "a", a.shape, "b", b.shape)
        let y = try empty(a.shape)
        try launchFlat("multiply_flat", count: a.count, [.buffer(buffer(a)), .buffer(buffer(b)), .buffer(buffer(y)), .index(a.count)])
        return y
    }

    public func scale(_ x: Tensor, by s: Float) throws -> Tensor {
        let y = try empty(x.shape)
        try launchFlat("scale_flat", count: x.count, [.buffer(buffer(x)), .buffer(buffer(y)), .float(s), .index(x.count)])
        return y
    }

    public func axpy(_ alpha: Float, _ x: Tensor, into y: Tensor) throws {
        try ElementwiseShapes.same("axpy", "x", x.shape, "y", y.shape)
        try launchFlat("axpy_flat", count: x.count, [.buffer(buffer(x)), .buffer(buffer(y)), .float(alpha), .index(x.count)])
    }

    public func channelMask(_ x: Tensor, mask: Tensor) throws -> Tensor {
        let layout = try ElementwiseShapes.channelMask("channelMask", x: x.shape, mask: mask.shape)
        let y = try empty(x.shape)
        try launchChannelMask(x, mask: mask, into: y, layout)
        return y
    }

    public func channelMaskBackward(_ dy: Tensor, input x: Tensor, mask: Tensor) throws -> (input: Tensor, mask: Tensor) {
        let layout = try ElementwiseShapes.channelMaskBackward(dy: dy.shape, x: x.shape, mask: mask.shape)
        let dx = try empty(x.shape)
        try launchChannelMask(dy, mask: mask, into: dx, layout)
        let dMask = try empty(mask.shape)
        if layout.perChannel == 0 {
            try fill(dMask, with: 0)  // empty sums
        } else if reducesByColumns(layout) {
            try launch(
                "elementwise.cl", "channel_dot_columns", defines: elementwiseDefines,
                global: [(layout.channels + 3) / 4], local: [elementwiseLocalSize],
                [
                    .buffer(buffer(dy)), .buffer(buffer(x)), .index(layout.batch), .index(layout.channels),
                    .buffer(buffer(dMask)),
                ])
        } else {
            let groupSize = channelReductionGroupSize
            try launch(
                "elementwise.cl", "channel_dot_group_tree", defines: elementwiseDefines,
                global: [layout.channels * groupSize], local: [groupSize],
                [
                    .buffer(buffer(dy)), .buffer(buffer(x)), .index(layout.batch), .index(layout.channels),
                    .index(layout.spatial), .buffer(buffer(dMask)),
                ])
        }
        return (dx, dMask)
    }

    public func scaleByElement(_ x: Tensor, _ s: Tensor, index: Int) throws -> Tensor {
        try ElementwiseShapes.scaleIndex("scaleByElement", s: s.shape, index: index)
        let y = try empty(x.shape)
        try launchFlat(
            "scale_by_element_flat", count: x.count,
            [.buffer(buffer(x)), .buffer(buffer(s)), .index(index), .buffer(buffer(y)), .index(x.count)])
        return y
    }

    public func scaleByElementBackward(_ dy: Tensor, input x: Tensor, _ s: Tensor, index: Int) throws -> (input: Tensor, scale: Tensor) {
        try ElementwiseShapes.same("scaleByElementBackward", "dy", dy.shape, "x", x.shape)
        try ElementwiseShapes.scaleIndex("scaleByElementBackward", s: s.shape, index: index)
        let dx = try empty(x.shape)
        try launchFlat(
            "scale_by_element_flat", count: x.count,
            [.buffer(buffer(dy)), .buffer(buffer(s)), .index(index), .buffer(buffer(dx)), .index(x.count)])
        let ds = try empty([1])
        try dot(dy, x, into: ds)
        return (dx, ds)
    }

    /// `out[index] = Σ p·q` over all elements: stage 1 gives each of `groups` work-groups a
    /// contiguous chunk of float4s (at least 8 per work-item; at most 4 groups per compute unit
    /// on the CPU device, 512 on GPUs), stage 2 sums the partials in one work-group.
    func dot(_ p: Tensor, _ q: Tensor, into out: Tensor, at index: Int = 0) throws {
        let n = p.count
        try requireInt32Elements("dot", n)
        let groupSize = channelReductionGroupSize
        let n4 = n / 4
        let maxGroups = launchPlan.dotMaxGroups
        let perGroup = groupSize * 8
        let groups = max(1, min(maxGroups, (n4 + perGroup - 1) / perGroup))
        let chunk4 = (n4 + groups - 1) / groups
        let partial = try empty([groups])
        try launch(
            "elementwise.cl", "dot_partial_group_tree", defines: elementwiseDefines,
            global: [groups * groupSize], local: [groupSize],
            [.buffer(buffer(p)), .buffer(buffer(q)), .index(n), .index(chunk4), .buffer(buffer(partial))])
        try launch(
            "elementwise.cl", "sum_final_group_tree", defines: elementwiseDefines,
            global: [groupSize], local: [groupSize],
            [.buffer(buffer(partial)), .index(groups), .buffer(buffer(out)), .index(index)])
    }
}
