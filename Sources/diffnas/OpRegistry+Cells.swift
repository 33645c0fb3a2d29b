import TensorCore

extension OpRegistry {
    /// The cell operations of the DARTS family.
    static let cells: [OpSpec] = [
        OpSpec(
            name: "concat-channels", summary: "concatenation of a and b along channels", inputs: ["a", "b"], parameters: [], outputs: ["y"]
        ) { ctx in
            let (a, b) = (ctx.inputs[0], ctx.inputs[1])
            try require(a.rank >= 2 && b.rank >= 2, "concat-channels: inputs must be [N, C, …]")
            var shape = a.shape
            shape[1] += b.shape[1]
            let y = try ctx.backend.zeros(shape)
            try ctx.backend.copyChannels(a, from: 0, into: y, at: 0, count: a.shape[1])
            try ctx.backend.copyChannels(b, from: 0, into: y, at: a.shape[1], count: b.shape[1])
            return [y]
        },
        OpSpec(
            name: "slice-channels", summary: "channels from ..< from + count of x", inputs: ["x"],
            parameters: [("from", "default 0"), ("count", "required")], outputs: ["y"]
        ) { ctx in
            let x = ctx.inputs[0]
            try require(x.rank >= 2, "slice-channels: x must be [N, C, …]")
            var shape = x.shape
            shape[1] = try ctx.int("count")
            try require(shape[1] >= 0, "slice-channels: count must be ≥ 0")
            let y = try ctx.backend.zeros(shape)
            try ctx.backend.copyChannels(x, from: try ctx.int("from", default: 0), into: y, at: 0, count: shape[1])
            return [y]
        },
        OpSpec(
            name: "channel-shuffle", summary: "y[n, j·g + i] = x[n, i·(C/g) + j]", inputs: ["x"], parameters: [("groups", "required")],
            outputs: ["y"]
        ) { ctx in
            [try ctx.backend.channelShuffle(ctx.inputs[0], groups: try ctx.int("groups"))]
        },
        OpSpec(name: "weighted-sum", summary: "y = w[0]·a + w[1]·b", inputs: ["a", "b", "w"], parameters: [], outputs: ["y"]) { ctx in
            [try ctx.backend.weightedSum([ctx.inputs[0], ctx.inputs[1]], weights: ctx.inputs[2])]
        },
        OpSpec(
            name: "weighted-sum-backward", summary: "da = w[0]·dy, db = w[1]·dy, dw[i] = sum of dy·input i",
            inputs: ["dy", "a", "b", "w"], parameters: [], outputs: ["da", "db", "dw"]
        ) { ctx in
            let g = try ctx.backend.weightedSumBackward(ctx.inputs[0], inputs: [ctx.inputs[1], ctx.inputs[2]], weights: ctx.inputs[3])
            return g.inputs + [g.weights]
        },
        OpSpec(
            name: "crop-spatial", summary: "x[:, :, top ..< top + height, left ..< left + width]", inputs: ["x"],
            parameters: [("top", "default 0"), ("left", "default 0"), ("height", "required"), ("width", "required")], outputs: ["y"]
        ) { ctx in
            [
                try ctx.backend.cropSpatial(
                    ctx.inputs[0], top: try ctx.int("top", default: 0), left: try ctx.int("left", default: 0),
                    height: try ctx.int("height"),
                    width: try ctx.int("width"))
            ]
        },
    ]
}
