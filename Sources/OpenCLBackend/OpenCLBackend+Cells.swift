import OpenCLRuntime
import TensorCore

// Cell operations of the DARTS family on the device: Kernels/cells.cl (copies, shuffle and
// weighted sum in chunks of `LaunchPlan.chunkVectorWidth` elements per work-item; crops one
// work-item per output element); the weight gradients of a weighted sum are the two-stage dot
// products of elementwise.cl.
extension OpenCLBackend {
    /// Launches a flat cells.cl kernel over `total` work-items (rounded up to the local size).
    private func launchCells(_ name: String, total: Int, _ arguments: [KernelArgument]) throws {
        try requireInt32Elements(name, total)
        guard total > 0 else { return }
        let local = elementwiseLocalSize
        try launch("cells.cl", name, global: [(total + local - 1) / local * local], local: [local], arguments)
    }

    /// Launches a chunked cells.cl kernel: dimension 0 covers runs of `length` elements in chunks
    /// of `CELL_VEC`, the other dimensions (`outer`) index the runs.
    private func launchChunks(_ name: String, length: Int, outer: [Int], _ arguments: [KernelArgument]) throws {
        let width = launchPlan.chunkVectorWidth
        guard length > 0, outer.allSatisfy({ $0 > 0 }) else { return }
        try launch(
            "cells.cl", name, defines: ["CELL_VEC": "\(width)"], global: [(length + width - 1) / width] + outer, arguments)
    }

    public func copyChannels(_ source: Tensor, from: Int, into destination: Tensor, at: Int, count: Int) throws {
        let (src, dst) = try CellShapes.copyChannels(source: source.shape, from: from, destination: destination.shape, at: at, count: count)
        try requireInt32Elements("copyChannels", max(source.count, destination.count))
        try launchChunks(
            "copy_channels", length: count * src.spatial, outer: [src.batch],
            [
                .buffer(buffer(source)), .index(src.channels), .index(from), .buffer(buffer(destination)), .index(dst.channels),
                .index(at), .index(count), .index(src.spatial),
            ])
    }

    public func channelShuffle(_ x: Tensor, groups: Int) throws -> Tensor {
        let layout = try CellShapes.channelShuffle(x.shape, groups: groups)
        try requireInt32Elements("channelShuffle", x.count)
        let y = try empty(x.shape)
        try launchChunks(
            "channel_shuffle", length: layout.spatial, outer: [layout.channels, layout.batch],
            [.buffer(buffer(x)), .buffer(buffer(y)), .index(layout.channels), .index(groups), .index(layout.spatial)])
        return y
    }

    public func weightedSum(_ inputs: [Tensor], weights: Tensor) throws -> Tensor {
        try CellShapes.weightedSum("weightedSum", inputs: inputs.map(\.shape), weights: weights.shape)
        try requireInt32Elements("weightedSum", inputs[0].count)
        let y = try empty(inputs[0].shape)
        // Four inputs per pass, accumulating into y after the first; unused operands alias x0.
        for offset in stride(from: 0, to: inputs.count, by: 4) {
            let group = Array(inputs[offset..<min(offset + 4, inputs.count)])
            let operands = (0..<4).map { group[$0 < group.count ? $0 : 0] }
            try launchChunks(
                "weighted_sum4", length: y.count, outer: [],
                operands.map { .buffer(buffer($0)) } + [
                    .buffer(buffer(weights)), .index(offset), .index(group.count), .index(offset == 0 ? 0 : 1), .buffer(buffer(y)),
                    .index(y.count),
                ])
        }
        return y
    }

    public func weightedSumBackward(_ dy: Tensor, inputs: [Tensor], weights: Tensor) throws -> (inputs: [Tensor], weights: Tensor) {
        try CellShapes.weightedSumBackward(dy: dy.shape, inputs: inputs.map(\.shape), weights: weights.shape)
        let dInputs = try inputs.indices.map { try scaleByElement(dy, weights, index: $0) }
        let dWeights = try empty(weights.shape)
        for (i, input) in inputs.enumerated() { try dot(dy, input, into: dWeights, at: i) }
        return (dInputs, dWeights)
    }

    public func cropSpatial(_ x: Tensor, top: Int, left: Int, height: Int, width: Int) throws -> Tensor {
        let shape = try CellShapes.cropSpatial(x.shape, top: top, left: left, height: height, width: width)
        let y = try empty(shape)
        try launchCells(
            "crop_spatial", total: y.count,
            [
                .buffer(buffer(x)), .buffer(buffer(y)), .index(x.shape[2]), .index(x.shape[3]), .index(top), .index(left),
                .index(height), .index(width), .index(y.count),
            ])
        return y
    }

    public func cropSpatialBackward(_ dy: Tensor, inputShape: [Int], top: Int, left: Int) throws -> Tensor {
        try CellShapes.cropSpatialBackward(dy: dy.shape, inputShape: inputShape, top: top, left: left)
        let dx = try empty(inputShape)
        try launchCells(
            "crop_spatial_backward", total: dx.count,
            [
                .buffer(buffer(dy)), .buffer(buffer(dx)), .index(inputShape[2]), .index(inputShape[3]), .index(top), .index(left),
                .index(dy.shape[2]), .index(dy.shape[3]), .index(dx.count),
            ])
        return dx
    }
}
