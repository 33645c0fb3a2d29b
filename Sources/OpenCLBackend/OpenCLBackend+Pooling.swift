import OpenCLRuntime
import TensorCore

// Max and average pooling and their gradients (Kernels/pooling.cl); global average pooling
// is a mean over H and W (Kernels/reduce.cl) with a broadcast backward.
extension OpenCLBackend {
    public func maxPool2d(_ x: Tensor, params: Pool2dParams) throws -> Tensor {
        let outShape = try PoolShapes.output("maxPool2d", input: x.shape, params: params)
        let y = try empty(outShape)
        let (kernel, global) = window("max_pool2d_rows", params, outputShape: outShape, fallback: "max_pool2d_direct")
        try launchPool(
            kernel, params: params, countIncludePad: true, input: x.shape, output: outShape, global: global,
            [buffer(x), buffer(y)], op: "maxPool2d")
        return y
    }

    public func maxPool2dBackward(_ dy: Tensor, input x: Tensor, params: Pool2dParams) throws -> Tensor {
        let outShape = try PoolShapes.backward("maxPool2dBackward", dy: dy.shape, inputShape: x.shape, params: params)
        let dx = try empty(x.shape)
        // Two passes: each window's winner once (as int bits in a scratch tensor), then the gather
        // compares indices — a window scan per (input, window) pair measured 42% of a DARTS step.
        let winners = try empty(outShape)
        let (winnerKernel, winnerGlobal) = window("max_pool2d_winners_rows", params, outputShape: outShape, fallback: "max_pool2d_winners")
        try launchPool(
            winnerKernel, params: params, countIncludePad: true, input: x.shape, output: outShape, global: winnerGlobal,
            [buffer(x), buffer(winners)], op: "maxPool2dBackward")
        let (kernel, global) = gather("max_pool2d_backward", params, inputShape: x.shape, fallback: "max_pool2d_backward_winners")
        try launchPool(
            kernel, params: params, countIncludePad: true, input: x.shape, output: outShape, global: global,
            [buffer(winners), buffer(dy), buffer(dx)], op: "maxPool2dBackward")
        return dx
    }

    public func avgPool2d(_ x: Tensor, params: Pool2dParams, countIncludePad: Bool) throws -> Tensor {
        let outShape = try PoolShapes.output("avgPool2d", input: x.shape, params: params)
        let y = try empty(outShape)
        let (kernel, global) = window("avg_pool2d_rows", params, outputShape: outShape, fallback: "avg_pool2d_direct")
        try launchPool(
            kernel, params: params, countIncludePad: countIncludePad, input: x.shape, output: outShape, global: global,
            [buffer(x), buffer(y)], op: "avgPool2d")
        return y
    }

    public func avgPool2dBackward(_ dy: Tensor, inputShape: [Int], params: Pool2dParams, countIncludePad: Bool) throws -> Tensor {
        let outShape = try PoolShapes.backward("avgPool2dBackward", dy: dy.shape, inputShape: inputShape, params: params)
        let dx = try empty(inputShape)
        let (kernel, global) = gather("avg_pool2d_backward", params, inputShape: inputShape, fallback: "avg_pool2d_backward_gather")
        try launchPool(
            kernel, params: params, countIncludePad: countIncludePad, input: inputShape, output: outShape, global: global,
            [buffer(dy), buffer(dx)], op: "avgPool2dBackward")
        return dx
    }

    public func globalAvgPool(_ x: Tensor) throws -> Tensor {
        let outShape = try PoolShapes.globalAverage("globalAvgPool", input: x.shape)
        return try reduceSum(x, axes: [2, 3], outputShape: outShape, divisor: Float(x.shape[2] * x.shape[3]), op: "globalAvgPool")
    }

    public func globalAvgPoolBackward(_ dy: Tensor, inputShape: [Int]) throws -> Tensor {
        try PoolShapes.globalAverageBackward("globalAvgPoolBackward", dy: dy.shape, inputShape: inputShape)
        let dx = try empty(inputShape)
        let area = inputShape[2] * inputShape[3]
        try launch(
            "pooling.cl", "global_avg_pool_backward_broadcast", global: [dx.count],
            [
                .buffer(buffer(dy)), .buffer(buffer(dx)), .index(area),
                .index(dx.count),
            ])
        return dx
    }

    /// Whether pooling takes the row-tile kernels where its strides allow them.
    var poolingRowTiles: Bool { poolingRowTilesOverride ?? launchPlan.poolingRowTiles }

    /// The global size of a row-tile kernel over the planes of `shape` [N, C, H, W]: (⌈W/columns⌉, N·C·H).
    private func rowTiles(_ shape: [Int], columns: Int = 16) -> [Int] {
        [(shape[3] + columns - 1) / columns, shape[0] * shape[1] * shape[2]]
    }

    /// A kernel over the windows (one per output) and its global size: `rowsKernel` (16 outputs
    /// per work-item) where the row tiles are on and the column stride is 1 or 2, else `fallback`,
    /// one output per work-item.
    private func window(_ rowsKernel: String, _ params: Pool2dParams, outputShape: [Int], fallback: String) -> (String, [Int]) {
        poolingRowTiles && params.strideW <= 2 ? (rowsKernel, rowTiles(outputShape)) : (fallback, [outputShape.reduce(1, *)])
    }

    /// The gradient gather of a pooling and its global size where the row tiles are on:
    /// `<stem>_rows` (16 columns per work-item) for column stride 1, `<stem>_rows_s2` (32) for
    /// column stride 2 (any row stride); else `fallback`, one input element per work-item.
    private func gather(_ stem: String, _ params: Pool2dParams, inputShape: [Int], fallback: String) -> (String, [Int]) {
        guard poolingRowTiles else { return (fallback, [inputShape.reduce(1, *)]) }
        if params.strideW == 1 { return (stem + "_rows", rowTiles(inputShape)) }
        if params.strideW == 2 { return (stem + "_rows_s2", rowTiles(inputShape, columns: 32)) }
        return (fallback, [inputShape.reduce(1, *)])
    }

    /// Launches a pooling kernel with the window geometry as -D values; its arguments are
    /// `buffers` followed by `H, W, OH, OW` and the extent of the last dimension of `global` (one
    /// work-item per element, or per 16-element row tile: global (tiles, rows)).
    private func launchPool(
        _ kernelName: String, params: Pool2dParams, countIncludePad: Bool, input: [Int], output: [Int],
        global: [Int], _ buffers: [Buffer], op: String
    ) throws {
        try requireIndexable(input.reduce(1, *), op)
        try requireIndexable(output.reduce(1, *), op)
        let defines = [
            "KH": "\(params.kernelH)", "KW": "\(params.kernelW)",
            "SH": "\(params.strideH)", "SW": "\(params.strideW)",
            "PH": "\(params.padH)", "PW": "\(params.padW)",
            "COUNT_INCLUDE_PAD": countIncludePad ? "1" : "0",
        ]
        let sizes = [input[2], input[3], output[2], output[3], global[global.count - 1]]
        try launch(
            "pooling.cl", kernelName, defines: defines, global: global,
            buffers.map { .buffer($0) } + sizes.map { try .index($0) })
    }
}
