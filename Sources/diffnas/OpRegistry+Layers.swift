import TensorCore

extension OpRegistry {
    static let elementwise: [OpSpec] = [
        OpSpec(name: "relu", summary: "max(x, 0)", inputs: ["x"], parameters: [], outputs: ["y"]) { ctx in
            [try ctx.backend.relu(ctx.inputs[0])]
        },
        OpSpec(name: "relu-backward", summary: "dy·[x > 0]", inputs: ["dy", "x"], parameters: [], outputs: ["dx"]) { ctx in
            [try ctx.backend.reluBackward(ctx.inputs[0], input: ctx.inputs[1])]
        },
        OpSpec(name: "add", summary: "a + b", inputs: ["a", "b"], parameters: [], outputs: ["y"]) { ctx in
            [try ctx.backend.add(ctx.inputs[0], ctx.inputs[1])]
        },
        OpSpec(name: "multiply", summary: "a·b elementwise", inputs: ["a", "b"], parameters: [], outputs: ["y"]) { ctx in
            [try ctx.backend.multiply(ctx.inputs[0], ctx.inputs[1])]
        },
        OpSpec(name: "scale", summary: "s·x", inputs: ["x"], parameters: [("s", "required")], outputs: ["y"]) { ctx in
            [try ctx.backend.scale(ctx.inputs[0], by: try ctx.float("s"))]
        },
        OpSpec(name: "axpy", summary: "y + alpha·x", inputs: ["x", "y"], parameters: [("alpha", "required")], outputs: ["y"]) { ctx in
            try ctx.backend.axpy(try ctx.float("alpha"), ctx.inputs[0], into: ctx.inputs[1])
            return [ctx.inputs[1]]
        },
        OpSpec(name: "channel-mask", summary: "y[n,c,…] = x[n,c,…]·mask[c]", inputs: ["x", "mask"], parameters: [], outputs: ["y"]) { ctx in
            [try ctx.backend.channelMask(ctx.inputs[0], mask: ctx.inputs[1])]
        },
        OpSpec(
            name: "channel-mask-backward", summary: "dx = dy·mask[c]; dmask[c] = sum of dy·x over all but c",
            inputs: ["dy", "x", "mask"], parameters: [], outputs: ["dx", "dmask"]
        ) { ctx in
            let g = try ctx.backend.channelMaskBackward(ctx.inputs[0], input: ctx.inputs[1], mask: ctx.inputs[2])
            return [g.input, g.mask]
        },
        OpSpec(
            name: "scale-by-element", summary: "y = x·s[index]", inputs: ["x", "s"], parameters: [("index", "default 0")], outputs: ["y"]
        ) { ctx in
            [try ctx.backend.scaleByElement(ctx.inputs[0], ctx.inputs[1], index: try ctx.int("index", default: 0))]
        },
        OpSpec(
            name: "scale-by-element-backward", summary: "dx = dy·s[index]; ds = sum of dy·x",
            inputs: ["dy", "x", "s"], parameters: [("index", "default 0")], outputs: ["dx", "ds"]
        ) { ctx in
            let g = try ctx.backend.scaleByElementBackward(
                ctx.inputs[0], input: ctx.inputs[1], ctx.inputs[2], index: try ctx.int("index", default: 0))
            return [g.input, g.scale]
        },
    ]

    static let pooling: [OpSpec] = {
        let params = [("kernel", "window size, required"), ("stride", "default = kernel"), ("pad", "default 0")]
        let avgParams = params + [("count-include-pad", "bool, default true")]
        return [
            OpSpec(name: "maxpool2d", summary: "max over each window", inputs: ["x"], parameters: params, outputs: ["y"]) { ctx in
                [try ctx.backend.maxPool2d(ctx.inputs[0], params: try ctx.poolParams())]
            },
            OpSpec(
                name: "maxpool2d-backward", summary: "routes dy to the first maximum of each window", inputs: ["dy", "x"],
                parameters: params, outputs: ["dx"]
            ) { ctx in
                [try ctx.backend.maxPool2dBackward(ctx.inputs[0], input: ctx.inputs[1], params: try ctx.poolParams())]
            },
            OpSpec(name: "avgpool2d", summary: "mean over each window", inputs: ["x"], parameters: avgParams, outputs: ["y"]) { ctx in
                [
                    try ctx.backend.avgPool2d(
                        ctx.inputs[0], params: try ctx.poolParams(),
                        countIncludePad: try ctx.bool("count-include-pad", default: true))
                ]
            },
            OpSpec(
                name: "avgpool2d-backward", summary: "gradient of avgpool2d", inputs: ["dy"],
                parameters: avgParams + [("input-shape", "N,C,H,W, required")], outputs: ["dx"]
            ) { ctx in
                [
                    try ctx.backend.avgPool2dBackward(
                        ctx.inputs[0], inputShape: try ctx.ints("input-shape"), params: try ctx.poolParams(),
                        countIncludePad: try ctx.bool("count-include-pad", default: true))
                ]
            },
            OpSpec(name: "global-avgpool", summary: "[N,C,H,W] → [N,C] mean over H·W", inputs: ["x"], parameters: [], outputs: ["y"]) {
                ctx in
                [try ctx.backend.globalAvgPool(ctx.inputs[0])]
            },
            OpSpec(
                name: "global-avgpool-backward", summary: "gradient of global-avgpool", inputs: ["dy"],
                parameters: [("input-shape", "N,C,H,W, required")], outputs: ["dx"]
            ) { ctx in
                [try ctx.backend.globalAvgPoolBackward(ctx.inputs[0], inputShape: try ctx.ints("input-shape"))]
            },
        ]
    }()

    static let loss: [OpSpec] = [
        OpSpec(
            name: "softmax-cross-entropy", summary: "mean cross-entropy of logits [N,K] against labels [N] (class ids)",
            inputs: ["logits", "labels"], parameters: [], outputs: ["loss", "probabilities"]
        ) { ctx in
            let r = try ctx.backend.softmaxCrossEntropy(logits: ctx.inputs[0], labels: ctx.inputs[1])
            return [r.loss, r.probabilities]
        },
        OpSpec(
            name: "softmax-cross-entropy-backward", summary: "(p − onehot)·upstream/N", inputs: ["probabilities", "labels"],
            parameters: [("upstream", "default 1")], outputs: ["dlogits"]
        ) { ctx in
            [
                try ctx.backend.softmaxCrossEntropyBackward(
                    probabilities: ctx.inputs[0], labels: ctx.inputs[1],
                    upstream: try ctx.float("upstream", default: 1))
            ]
        },
        OpSpec(name: "argmax", summary: "index of each row's maximum (first on ties)", inputs: ["x"], parameters: [], outputs: ["indices"])
        { ctx in
            [try ctx.backend.argmax(ctx.inputs[0])]
        },
    ]

    static let reduction: [OpSpec] = [
        OpSpec(name: "sum", summary: "sum over axes", inputs: ["x"], parameters: [("axes", "comma-separated, default all")], outputs: ["y"])
        { ctx in
            let x = ctx.inputs[0]
            return [try ctx.backend.sum(x, axes: try ctx.ints("axes", default: Array(0..<x.rank)))]
        },
        OpSpec(
            name: "mean", summary: "mean over axes", inputs: ["x"], parameters: [("axes", "comma-separated, default all")], outputs: ["y"]
        ) { ctx in
            let x = ctx.inputs[0]
            return [try ctx.backend.mean(x, axes: try ctx.ints("axes", default: Array(0..<x.rank)))]
        },
    ]

    static let topK: [OpSpec] = [
        OpSpec(
            name: "rank-normalize", summary: "c'_i = #{j : c_j ≤ c_i}/N, ties by index (DMS importance normalization)",
            inputs: ["importance"], parameters: [], outputs: ["normalized"]
        ) { ctx in
            [try ctx.backend.rankNormalize(ctx.inputs[0])]
        },
        OpSpec(
            name: "soft-mask", summary: "m_i = sigmoid(lambda·(c'_i − a)); input a has shape [1]", inputs: ["normalized", "a"],
            parameters: [("lambda", "default N")], outputs: ["mask"]
        ) { ctx in
            let c = ctx.inputs[0]
            return [try ctx.backend.softMask(normalized: c, ratio: ctx.inputs[1], lambda: try ctx.float("lambda", default: Float(c.count)))]
        },
        OpSpec(
            name: "soft-mask-grad-ratio", summary: "dL/da = sum of dm·(−lambda·m·(1 − m))", inputs: ["mask", "dmask"],
            parameters: [("lambda", "default N")], outputs: ["da"]
        ) { ctx in
            let m = ctx.inputs[0]
            return [
                try ctx.backend.softMaskGradRatio(
                    mask: m, gradMask: ctx.inputs[1], lambda: try ctx.float("lambda", default: Float(m.count)))
            ]
        },
        OpSpec(
            name: "taylor-update", summary: "c ← decay·c + (1 − decay)·(m·g)², skipped if any score is non-finite",
            inputs: ["importance", "mask", "dmask"], parameters: [("decay", "default 0.99")], outputs: ["importance"]
        ) { ctx in
            try ctx.backend.taylorImportanceUpdate(
                ctx.inputs[0], mask: ctx.inputs[1], gradMask: ctx.inputs[2],
                decay: try ctx.float("decay", default: 0.99))
            return [ctx.inputs[0]]
        },
    ]

    static let optimizers: [OpSpec] = [
        OpSpec(
            name: "sgd-step", summary: "one SGD step (PyTorch semantics); returns updated parameter and velocity",
            inputs: ["parameter", "gradient", "velocity"],
            parameters: [("lr", "required"), ("momentum", "default 0.9"), ("weight-decay", "default 0"), ("nesterov", "default false")],
            outputs: ["parameter", "velocity"]
        ) { ctx in
            let hyper = SGDParameters(
                learningRate: try ctx.float("lr"), momentum: try ctx.float("momentum", default: 0.9),
                weightDecay: try ctx.float("weight-decay", default: 0), nesterov: try ctx.bool("nesterov", default: false))
            try ctx.backend.sgdStep(ctx.inputs[0], gradient: ctx.inputs[1], velocity: ctx.inputs[2], hyper)
            return [ctx.inputs[0], ctx.inputs[2]]
        },
        OpSpec(
            name: "adam-step", summary: "one Adam/AdamW step; returns parameter and both moments",
            inputs: ["parameter", "gradient", "first-moment", "second-moment"],
            parameters: [
                ("lr", "required"), ("step", "1-based, default 1"), ("beta1", "default 0.9"), ("beta2", "default 0.999"),
                ("eps", "default 1e-8"), ("weight-decay", "default 0"), ("decoupled", "AdamW, default true"),
            ],
            outputs: ["parameter", "first-moment", "second-moment"]
        ) { ctx in
            let hyper = AdamParameters(
                learningRate: try ctx.float("lr"), beta1: try ctx.float("beta1", default: 0.9),
                beta2: try ctx.float("beta2", default: 0.999), epsilon: try ctx.float("eps", default: 1e-8),
                weightDecay: try ctx.float("weight-decay", default: 0),
                decoupledWeightDecay: try ctx.bool("decoupled", default: true))
            try ctx.backend.adamStep(
                ctx.inputs[0], gradient: ctx.inputs[1], firstMoment: ctx.inputs[2], secondMoment: ctx.inputs[3],
                step: try ctx.int("step", default: 1), hyper)
            return [ctx.inputs[0], ctx.inputs[2], ctx.inputs[3]]
        },
    ]
}
