import TensorCore

/// One operation `diffnas op` can run: its inputs (in `--in` order), parameters and outputs
/// (in `--out` order). An input name ending in `?` is optional.
struct OpSpec: Sendable {
    let name: String
    let summary: String
    let inputs: [String]
    /// Parameter name → description including its default.
    let parameters: [(String, String)]
    let outputs: [String]
    let run: @Sendable (OpContext) throws -> [Tensor]

    var requiredInputCount: Int { inputs.filter { !$0.hasSuffix("?") }.count }
}

/// Every operation of the compute core, by name.
enum OpRegistry {
    static let all: [OpSpec] =
        linearAlgebra + convolution + normalization + elementwise + pooling + loss + reduction + topK + optimizers + cells

    static func spec(named name: String) -> OpSpec? { all.first { $0.name == name } }

    /// The help text listing every operation.
    static var helpText: String {
        all.map { spec in
            var text =
                "  \(spec.name)(\(spec.inputs.joined(separator: ", "))) -> \(spec.outputs.joined(separator: ", "))\n      \(spec.summary)"
            if !spec.parameters.isEmpty {
                text += "\n      params: " + spec.parameters.map { "\($0.0) (\($0.1))" }.joined(separator: "; ")
            }
            return text
        }.joined(separator: "\n")
    }

    static let linearAlgebra: [OpSpec] = [
        OpSpec(
            name: "gemm", summary: "C = alpha·op(A)·op(B) + beta·C; A [M,K] or [batch,M,K] (transposed layouts with trans-a/trans-b)",
            inputs: ["a", "b", "c?"],
            parameters: [
                ("trans-a", "bool, default false"), ("trans-b", "bool, default false"),
                ("alpha", "default 1"), ("beta", "default 0; needs input c when nonzero"),
            ],
            outputs: ["c"]
        ) { ctx in
            let a = ctx.inputs[0], b = ctx.inputs[1]
            let transA = try ctx.bool("trans-a", default: false), transB = try ctx.bool("trans-b", default: false)
            let beta = try ctx.float("beta", default: 0)
            let c: Tensor
            if let given = ctx.input(2) {
                c = given
            } else {
                guard beta == 0 else { throw CLIError("gemm: beta \(beta) needs the input c (a third --in)") }
                guard a.rank >= 2, b.rank >= 2 else { throw CLIError("gemm: a and b must have rank 2 or 3") }
                let m = transA ? a.shape[a.rank - 1] : a.shape[a.rank - 2]
                let n = transB ? b.shape[b.rank - 2] : b.shape[b.rank - 1]
                let batch = max(a.rank == 3 ? a.shape[0] : 1, b.rank == 3 ? b.shape[0] : 1)
                c = try ctx.backend.zeros(a.rank == 3 || b.rank == 3 ? [batch, m, n] : [m, n])
            }
            try ctx.backend.gemm(
                a, b, into: c, transposeA: transA, transposeB: transB, alpha: try ctx.float("alpha", default: 1), beta: beta)
            return [c]
        },
        OpSpec(name: "add-bias", summary: "y[r,j] = x[r,j] + bias[j]", inputs: ["x", "bias"], parameters: [], outputs: ["y"]) { ctx in
            [try ctx.backend.addBias(ctx.inputs[0], bias: ctx.inputs[1])]
        },
    ]

    static let convolution: [OpSpec] = {
        let params = [("stride", "default 1"), ("pad", "default 0"), ("dilation", "default 1"), ("groups", "default 1")]
        return [
            OpSpec(
                name: "conv2d", summary: "2-D convolution, x [N,C,H,W], w [C_out,C_in/groups,kH,kW], bias [C_out]",
                inputs: ["x", "w", "bias?"], parameters: params, outputs: ["y"]
            ) { ctx in
                [try ctx.backend.conv2d(ctx.inputs[0], weight: ctx.inputs[1], bias: ctx.input(2), params: try ctx.convParams())]
            },
            OpSpec(
                name: "conv2d-backward-input", summary: "dL/dx of conv2d", inputs: ["dy", "w"],
                parameters: params + [("input-shape", "N,C,H,W of x, required")], outputs: ["dx"]
            ) { ctx in
                [
                    try ctx.backend.conv2dBackwardInput(
                        ctx.inputs[0], weight: ctx.inputs[1], inputShape: try ctx.ints("input-shape"),
                        params: try ctx.convParams())
                ]
            },
            OpSpec(
                name: "conv2d-backward-weight", summary: "dL/dw of conv2d", inputs: ["dy", "x"],
                parameters: params + [("kernel", "kH,kW, required")], outputs: ["dw"]
            ) { ctx in
                let p = try ctx.convParams(), k = try ctx.ints("kernel"), dy = ctx.inputs[0], x = ctx.inputs[1]
                guard k.count == 2, dy.rank == 4, x.rank == 4, p.groups > 0 else {
                    throw CLIError("conv2d-backward-weight: needs kernel=kH,kW and rank-4 dy and x")
                }
                return [
                    try ctx.backend.conv2dBackwardWeight(
                        dy, input: x, weightShape: [dy.shape[1], x.shape[1] / p.groups, k[0], k[1]], params: p)
                ]
            },
            OpSpec(
                name: "conv2d-backward-bias", summary: "dL/db[o] = sum over n,i,j of dy", inputs: ["dy"], parameters: [], outputs: ["db"]
            ) { ctx in
                [try ctx.backend.conv2dBackwardBias(ctx.inputs[0])]
            },
        ]
    }()

    static let normalization: [OpSpec] = [
        OpSpec(
            name: "batchnorm-train", summary: "training batch norm; updates running stats (returned as outputs 4 and 5)",
            inputs: ["x", "gamma", "beta", "running-mean", "running-var"],
            parameters: [("momentum", "default 0.1"), ("eps", "default 1e-5")],
            outputs: ["y", "saved-mean", "saved-invstd", "running-mean", "running-var"]
        ) { ctx in
            let r = try ctx.backend.batchNormTraining(
                ctx.inputs[0], gamma: ctx.inputs[1], beta: ctx.inputs[2], runningMean: ctx.inputs[3],
                runningVar: ctx.inputs[4], momentum: try ctx.float("momentum", default: 0.1),
                epsilon: try ctx.float("eps", default: 1e-5))
            return [r.output, r.savedMean, r.savedInvStd, ctx.inputs[3], ctx.inputs[4]]
        },
        OpSpec(
            name: "batchnorm-inference", summary: "y = gamma·(x − mean)/sqrt(var + eps) + beta",
            inputs: ["x", "gamma", "beta", "running-mean", "running-var"], parameters: [("eps", "default 1e-5")], outputs: ["y"]
        ) { ctx in
            [
                try ctx.backend.batchNormInference(
                    ctx.inputs[0], gamma: ctx.inputs[1], beta: ctx.inputs[2], runningMean: ctx.inputs[3],
                    runningVar: ctx.inputs[4], epsilon: try ctx.float("eps", default: 1e-5))
            ]
        },
        OpSpec(
            name: "batchnorm-backward", summary: "gradients of training batch norm",
            inputs: ["dy", "x", "gamma", "saved-mean", "saved-invstd"], parameters: [], outputs: ["dx", "dgamma", "dbeta"]
        ) { ctx in
            let g = try ctx.backend.batchNormBackward(
                ctx.inputs[0], input: ctx.inputs[1], gamma: ctx.inputs[2],
                savedMean: ctx.inputs[3], savedInvStd: ctx.inputs[4])
            return [g.input, g.gamma, g.beta]
        },
    ]
}
