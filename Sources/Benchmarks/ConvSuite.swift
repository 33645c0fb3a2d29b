import OpenCLBackend
import ReferenceBackend
import TensorCore

/// 3×3 convolutions (forward, grad-input, grad-weight) at the shapes of a CIFAR ResNet-20 at
/// batch 128 (suite `conv`), and depthwise convolutions at the DARTS cells' windows and a
/// MobileNetV2 width (suite `depthwise`): ours against CLBlast on the same queue, both timed by
/// marker span. Comparators (see `ConvComparator`): `CLBlastSconvgemm` for the forward pass;
/// im2col + `CLBlastSgemm` (+ `CLBlastScol2im`) where convgemm does not apply (the gradients,
/// and grouped convolutions, whose per-group GEMMs run as one `CLBlastSgemmStridedBatched`).
/// On the host, oneDNN's convolution primitive of the same pass (direct algorithm, the layouts
/// it prefers, inputs reordered into them before timing — what PyTorch runs on a CPU), timed
/// by host clock.
///
/// Inputs are integers in −3…3, so every output is an exact integer sum (below 2²⁴: at most
/// 9·128·32·32 for a grad-weight element) whatever the order: checks are exact, against the
/// reference backend up to `referenceBudget` multiply-adds, else at sampled elements computed
/// from the convolution's definition on the host.
public enum ConvSuite {
    /// ResNet-20's 3×3 convolutions: the stem, each stage's convolutions, and the stride-2
    /// first convolution of stages 2 and 3.
    public static func resnet20Problems(batch: Int) -> [(label: String, problem: ConvProblem)] {
        [
            ("stem", ConvProblem(batch: batch, inChannels: 3, height: 32, width: 32, outChannels: 16)),
            ("stage 1", ConvProblem(batch: batch, inChannels: 16, height: 32, width: 32, outChannels: 16)),
            ("stage 2 entry", ConvProblem(batch: batch, inChannels: 16, height: 32, width: 32, outChannels: 32, stride: 2)),
            ("stage 2", ConvProblem(batch: batch, inChannels: 32, height: 16, width: 16, outChannels: 32)),
            ("stage 3 entry", ConvProblem(batch: batch, inChannels: 32, height: 16, width: 16, outChannels: 64, stride: 2)),
            ("stage 3", ConvProblem(batch: batch, inChannels: 64, height: 8, width: 8, outChannels: 64)),
        ]
    }

    /// The depthwise convolutions of the DARTS cell operations on the first stage of the DARTS
    /// search network (C = 16, 32×32, batch 64): sep_conv_3x3 / 5x5 (dilation 1, pad 1 / 2) and
    /// dil_conv_3x3 / 5x5 (dilation 2, pad 2 / 4), plus a 3×3 at a MobileNetV2 width (24·6
    /// expanded channels, 16×16, batch 128).
    public static func depthwiseProblems() -> [(label: String, problem: ConvProblem)] {
        /// A DARTS search network's depthwise window at `channels` × `side`² (stage 1: 16 × 32²,
        /// stage 2: 32 × 16², stage 3: 64 × 8² at batch 64); stride 2 is a reduction cell's first.
        func cell(_ kernel: Int, _ dilation: Int, channels: Int = 16, side: Int = 32, stride: Int = 1) -> ConvProblem {
            ConvProblem(
                batch: 64, inChannels: channels, height: side, width: side, outChannels: channels, kernel: kernel,
                stride: stride, padding: dilation * (kernel - 1) / 2, dilation: dilation, groups: channels)
        }
        return [
            ("sep_conv_3x3", cell(3, 1)), ("sep_conv_5x5", cell(5, 1)), ("dil_conv_3x3", cell(3, 2)), ("dil_conv_5x5", cell(5, 2)),
            ("sep_conv_3x3 stage 2", cell(3, 1, channels: 32, side: 16)), ("sep_conv_3x3 stage 3", cell(3, 1, channels: 64, side: 8)),
            ("sep_conv_3x3 stride 2", cell(3, 1, stride: 2)),
            ("MobileNetV2", ConvProblem(batch: 128, inChannels: 144, height: 16, width: 16, outChannels: 144, groups: 144)),
        ]
    }

    /// Tiny shapes for `--quick`.
    public static func quickProblems() -> [(label: String, problem: ConvProblem)] {
        [
            ("tiny", ConvProblem(batch: 2, inChannels: 4, height: 8, width: 8, outChannels: 8)),
            ("tiny s2", ConvProblem(batch: 2, inChannels: 4, height: 8, width: 8, outChannels: 8, stride: 2)),
        ]
    }

    /// Tiny depthwise shapes for `--quick`: a 3×3 and a dilated 5×5 over 7 channels.
    public static func quickDepthwiseProblems() -> [(label: String, problem: ConvProblem)] {
        [
            ("tiny depthwise", ConvProblem(batch: 2, inChannels: 8, height: 8, width: 8, outChannels: 8, groups: 8)),
            (
                "tiny dilated 5×5",
                ConvProblem(batch: 2, inChannels: 7, height: 9, width: 11, outChannels: 7, kernel: 5, padding: 4, dilation: 2, groups: 7)
            ),
        ]
    }

    public static func problems(suite: BenchSuite = .conv, quick: Bool) -> [(label: String, problem: ConvProblem)] {
        switch (suite, quick) {
        case (.depthwise, true): quickDepthwiseProblems()
        case (.depthwise, false): depthwiseProblems()
        case (_, true): quickProblems()
        case (_, false): resnet20Problems(batch: 128)
        }
    }

    public static func cases(runner: BenchRunner, suite: BenchSuite = .conv) -> [PendingCase] {
        var list: [PendingCase] = []
        let seedBase: UInt64 = suite == .depthwise ? 4000 : 1000
        for (index, item) in problems(suite: suite, quick: runner.settings.quick).enumerated() {
            for pass in ConvProblem.Pass.allCases {
                let name = "conv2d \(pass.rawValue) (\(item.label))"
                list.append(
                    PendingCase(suite: suite, name: name, shape: item.problem.description) {
                        try makeCase(
                            name: name, problem: item.problem, pass: pass, suite: suite,
                            seed: runner.settings.seed &+ seedBase &+ UInt64(index), runner: runner)
                    })
            }
        }
        return list
    }

    /// Holds the latest output of our (allocating) convolution calls.
    private final class Latest { var tensor: Tensor? }

    public static func makeCase(
        name: String, problem p: ConvProblem, pass: ConvProblem.Pass, suite: BenchSuite = .conv, seed: UInt64,
        runner: BenchRunner
    ) throws -> BenchCase {
        let backend = runner.backend
        var rng = SeededRandom(seed: seed)
        let data = ConvData(
            problem: p, x: rng.integers(p.inputShape.reduce(1, *)), w: rng.integers(p.weightShape.reduce(1, *)),
            dy: pass == .forward ? [] : rng.integers(p.outputShape.reduce(1, *)))
        let x = try backend.upload(data.x, shape: p.inputShape), w = try backend.upload(data.w, shape: p.weightShape)
        let dy = pass == .forward ? nil : try backend.upload(data.dy, shape: p.outputShape)
        let params = p.params
        let latest = Latest()
        let checkOutput = { (tensor: Tensor?) throws -> CheckOutcome in
            guard let tensor else { return .failed("output", "no output was produced") }
            return try check(try backend.download(tensor), data: data, pass: pass, settings: runner.settings, reference: runner.reference)
        }
        let ours = Contender(
            name: "DiffNAS",
            run: {
                switch pass {
                case .forward: latest.tensor = try backend.conv2d(x, weight: w, bias: nil, params: params)
                case .gradInput: latest.tensor = try backend.conv2dBackwardInput(dy!, weight: w, inputShape: p.inputShape, params: params)
                case .gradWeight:
                    latest.tensor = try backend.conv2dBackwardWeight(dy!, input: x, weightShape: p.weightShape, params: params)
                }
            }, check: { try checkOutput(latest.tensor) })
        let clblast = try ConvComparator.make(problem: p, pass: pass, x: x, w: w, dy: dy, backend: backend, check: checkOutput)
        let oneDNN = oneDNNContender(problem: p, pass: pass, data: data) {
            try check($0, data: data, pass: pass, settings: runner.settings, reference: runner.reference)
        }
        return BenchCase(
            suite: suite, name: name, shape: p.description, work: .flops(p.flops), timing: .markerSpan,
            ours: ours, comparators: [clblast, oneDNN])
    }

    /// oneDNN's primitive for `pass` on the host copies of the inputs; missing (with why) when
    /// oneDNN is not installed or rejects the shape.
    static func oneDNNContender(
        problem p: ConvProblem, pass: ConvProblem.Pass, data: ConvData, check: @escaping ([Float]) throws -> CheckOutcome
    ) -> Contender {
        let library: String
        switch OneDNNConvolution.availability {
        case .failure(let error): return .missing("oneDNN", because: error.description)
        case .success(let description): library = description
        }
        let convolution: OneDNNConvolution
        do {
            convolution = try OneDNNConvolution(problem: p, pass: pass, x: data.x, weight: data.w, dy: data.dy)
        } catch {
            return .missing(library, because: "\(error)")
        }
        return Contender(
            name: "\(library) \(convolution.implementation)", timing: .hostClock, run: { try convolution.run() },
            check: { try check(try convolution.output()) })
    }

    /// The host copies of one case's inputs (integer-valued).
    public struct ConvData: Sendable {
        public var problem: ConvProblem
        public var x: [Float], w: [Float], dy: [Float]
        public init(problem: ConvProblem, x: [Float], w: [Float], dy: [Float]) {
            self.problem = problem; self.x = x; self.w = w; self.dy = dy
        }
    }

    /// `output` of `pass` against the reference backend (small cases) or at sampled elements
    /// against exact integer sums from the definition (large ones).
    public static func check(
        _ output: [Float], data: ConvData, pass: ConvProblem.Pass, settings: BenchSettings,
        reference: ReferenceBackend
    ) throws -> CheckOutcome {
        let p = data.problem
        let shape = pass == .forward ? p.outputShape : pass == .gradInput ? p.inputShape : p.weightShape
        guard output.count == shape.reduce(1, *) else {
            return .failed("size", "output has \(output.count) elements, expected \(shape.reduce(1, *)) for \(shape)")
        }
        if p.multiplyAdds <= settings.referenceBudget {
            let params = p.params
            let r = reference
            let x = try r.upload(data.x, shape: p.inputShape), w = try r.upload(data.w, shape: p.weightShape)
            let expected: Tensor
            switch pass {
            case .forward: expected = try r.conv2d(x, weight: w, bias: nil, params: params)
            case .gradInput:
                expected = try r.conv2dBackwardInput(
                    try r.upload(data.dy, shape: p.outputShape), weight: w,
                    inputShape: p.inputShape, params: params)
            case .gradWeight:
                expected = try r.conv2dBackwardWeight(
                    try r.upload(data.dy, shape: p.outputShape), input: x,
                    weightShape: p.weightShape, params: params)
            }
            return .compare(output, try r.download(expected), tolerance: .exact, method: "reference backend")
        }
        let indices = CheckOutcome.sampleIndices(count: output.count, samples: settings.sampledElements)
        return .compareSampled(
            output, indices: indices, expected: { exactElement($0, data: data, pass: pass) }, tolerance: .exact,
            method: "\(indices.count) sampled elements vs exact integer sums")
    }

    /// One output element of `pass` straight from the definition, in integers:
    ///   forward      y[n,o,i,j]   = Σ_{c∈group(o),p,q} x[n,c,i·s−pad+p·d,j·s−pad+q·d]·w[o,c,p,q]
    ///   grad-input   dx[n,c,h,w]  = Σ_{o∈group(c),p,q: h+pad−p·d = i·s, w+pad−q·d = j·s} dy[n,o,i,j]·w[o,c,p,q]
    ///   grad-weight  dw[o,c,p,q]  = Σ_{n,i,j} dy[n,o,i,j]·x[n,c,i·s−pad+p·d,j·s−pad+q·d]
    /// (c indexes the group's channels in w; padding reads zeros).
    static func exactElement(_ index: Int, data: ConvData, pass: ConvProblem.Pass) -> Double {
        let p = data.problem
        let (cIn, h, wd, cOut, k, s, pad, d) = (p.inChannels, p.height, p.width, p.outChannels, p.kernel, p.stride, p.padding, p.dilation)
        let (oh, ow) = (p.outHeight, p.outWidth)
        let (cpg, kpg) = (cIn / p.groups, cOut / p.groups)
        func x(_ n: Int, _ c: Int, _ r: Int, _ q: Int) -> Int {
            r < 0 || r >= h || q < 0 || q >= wd ? 0 : Int(data.x[((n * cIn + c) * h + r) * wd + q])
        }
        func w(_ o: Int, _ c: Int, _ r: Int, _ q: Int) -> Int { Int(data.w[((o * cpg + c) * k + r) * k + q]) }
        func dy(_ n: Int, _ o: Int, _ i: Int, _ j: Int) -> Int { Int(data.dy[((n * cOut + o) * oh + i) * ow + j]) }
        var sum = 0
        switch pass {
        case .forward:
            let (n, o, i, j) = (index / (cOut * oh * ow), index / (oh * ow) % cOut, index / ow % oh, index % ow)
            let group = o / kpg
            for c in 0..<cpg {
                for r in 0..<k {
                    for q in 0..<k {
                        sum += x(n, group * cpg + c, i * s - pad + r * d, j * s - pad + q * d) * w(o, c, r, q)
                    }
                }
            }
        case .gradInput:
            let (n, c, row, col) = (index / (cIn * h * wd), index / (h * wd) % cIn, index / wd % h, index % wd)
            let (group, local) = (c / cpg, c % cpg)
            for o in group * kpg..<(group + 1) * kpg {
                for r in 0..<k {
                    for q in 0..<k {
                        let (ti, tj) = (row + pad - r * d, col + pad - q * d)
                        guard ti >= 0, tj >= 0, ti % s == 0, tj % s == 0, ti / s < oh, tj / s < ow else { continue }
                        sum += dy(n, o, ti / s, tj / s) * w(o, local, r, q)
                    }
                }
            }
        case .gradWeight:
            let (o, c, r, q) = (index / (cpg * k * k), index / (k * k) % cpg, index / k % k, index % k)
            let channel = o / kpg * cpg + c
            for n in 0..<p.batch {
                for i in 0..<oh {
                    for j in 0..<ow {
                        sum += dy(n, o, i, j) * x(n, channel, i * s - pad + r * d, j * s - pad + q * d)
                    }
                }
            }
        }
        return Double(sum)
    }
}
