import OpenCLRuntime
import TensorCore

// Max and average pooling and their gradients (Kernels/pooling.cl); global average pooling
// is a mean over H and W (Kernels/reduce.cl) with a broadcast backward.
extension OpenCLBackend {
    public func maxPool2d(_ x: Tensor, params: Pool2dParams) throws -> Tensor {
        let outShape = try PoolShapes.output("maxPool2d", input: x.shape, params: params)
        let y = try empty(outShape)
        let rows = poolingRowTiles && params.strideW <= 2
        try launchPool(
            rows ? "max_pool2d_rows" : "max_pool2d_direct", params: params, countIncludePad: true, input: x.shape,
            output: outShape, global: rows ? rowTiles(outShape) : [y.count], [buffer(x), buffer(y)], op: "maxPool2d")
        return y
    }

    public func maxPool2dBackward(_ dy: Tensor, input x: Tensor, params: Pool2dParams) throws -> Tensor {
        let outShape = try PoolShapes.backward("maxPool2dBackward", dy: dy.shape, inputShape: x.shape, params: params)
        let dx = try empty(x.shape)
        // Two passes: each window's winner once (as int bits in a scratch tensor), then the gather
        // compares indices — a window scan per (input, window) pair measured 42% of a DARTS step.
        let winners = try empty(outShape)
        let rows = poolingRowTiles && params.strideW <= 2
        try launchPool(
            rows ? "max_pool2d_winners_rows" : "max_pool2d_winners", params: params, countIncludePad: true, input: x.shape,
            output: outShape, global: rows ? rowTiles(outShape) : [winners.count], [buffer(x), buffer(winners)],
            op: "maxPool2dBackward")
        let gatherRows = poolingRowTiles && params.strideH == 1 && params.strideW == 1
        try launchPool(
            gatherRows ? "max_pool2d_backward_rows" : "max_pool2d_backward_winners", params: params, countIncludePad: true,
            input: x.shape, output: outShape, global: gatherRows ? rowTiles(x.shape) : [dx.count],
            [buffer(winners), buffer(dy), buffer(dx)], op: "maxPool2dBackward")
        return dx
    }

    public func avgPool2d(_ x: Tensor, params: Pool2dParams, countIncludePad: Bool) throws -> Tensor {
        let outShape = try PoolShapes.output("avgPool2d", input: x.shape, params: params)
        let y = try empty(outShape)
        if poolingRowTiles && params.strideW <= 2 {
            try launchPool(
                "avg_pool2d_rows", params: params, countIncludePad: countIncludePad, input: x.shape, output: outShape,
                global: rowTiles(outShape), [buffer(x), buffer(y)], op: "avgPool2d")
            return y
        }
        try launchPool(
            "avg_pool2d_direct", params: params, countIncludePad: countIncludePad, input: x.shape, output: outShape,
            global: [y.count], [buffer(x), buffer(y)], op: "avgPool2d")
        return y
    }

    public func avgPool2dBackward(_ dy: Tensor, inputShape: [Int], params: Pool2dParams, countIncludePad: Bool) throws -> Tensor {
        let outShape = try PoolShapes.backward("avgPool2dBackward", dy: dy.shape, inputShape: inputShape, params: params)
        let dx = try empty(inputShape)
        if poolingRowTiles && params.strideH == 1 && params.strideW == 1 {
            try launchPool(
                "avg_pool2d_backward_rows", params: params, countIncludePad: countIncludePad, input: inputShape,
                output: outShape, global: rowTiles(inputShape),
                [buffer(dy), buffer(dx)], op: "avgPool2dBackward")
            return dx
        }
        try launchPool(
            "avg_pool2d_backward_gather", params: params, countIncludePad: countIncludePad, input: inputShape,
            output: outShape, global: [dx.count], [buffer(dy), buffer(dx)], op: "avgPool2dBackward")
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

    /// The global size of a row-tile kernel over the planes of `shape` [N, C, H, W]: (⌈W/16⌉, N·C·H).
    private func rowTiles(_ shape: [Int]) -> [Int] { [(shape[3] + 15) / 16, shape[0] * shape[1] * shape[2]] }

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
