import OpenCLRuntime

/// One field of `KernelTunables` the tuner searches: its kernel, its candidate values and the
/// problems it is timed on (the search space, next to nothing else, as CLBlast keeps it).
public enum TuningSlot: String, Codable, Sendable, CaseIterable, CustomStringConvertible {
    /// `gemm_regblock`'s TM × NV for M > 16 (`KernelTunables.registerTile`).
    case registerTile = "gemm_regblock"
    /// `gemm_regblock`'s TM × NV for M ≤ 16 (`KernelTunables.shortRegisterTile`).
    case shortRegisterTile = "gemm_regblock M≤16"
    /// `gemm_local_tiles`' TS_M/TS_N/TS_K/WPT_M/WPT_N (`KernelTunables.localTile`).
    case localTile = "gemm_local_tiles"
    /// `conv2d_direct_regblock`'s OCB and VECS on outputs ≥ 16 columns wide
    /// (`KernelTunables.directOutputChannels`, `directVectors`). Its problem is 32 columns wide,
    /// where CPU devices with AVX-512 run conv_rows.cl's `conv2d_rows` instead
    /// (`LaunchPlan.denseRowChannels`); the tuner times the register-blocked kernel there all the
    /// same (it passes the block), as the proxy for the rows wider than 32 that still take it.
    case directOutputChannels = "conv2d_direct_regblock"
    /// Its OCB and VECS on narrower outputs (`narrowDirectOutputChannels`, `narrowDirectVectors`).
    case narrowDirectOutputChannels = "conv2d_direct_regblock narrow"
    /// `conv2d_direct_weight_grad_partial`'s OCB and KWB on outputs ≥ 16 columns wide
    /// (`KernelTunables.weightGradientBlock`).
    case weightGradientBlock = "conv2d_direct_weight_grad"
    /// Its OCB and KWB on narrower outputs (`narrowWeightGradientBlock`).
    case narrowWeightGradientBlock = "conv2d_direct_weight_grad narrow"
    /// The convolution algorithm (direct or GEMM) per pass and shape class
    /// (`KernelTunables.convolutionAlgorithm`), timed on the whole pass as the backend runs it.
    case convForwardNarrow = "conv forward narrow"
    case convForwardWide = "conv forward wide"
    case convInputGradientNarrow = "conv input-gradient narrow"
    case convInputGradientWide = "conv input-gradient wide"
    case convWeightGradientNarrow = "conv weight-gradient narrow"
    case convWeightGradientWide = "conv weight-gradient wide"

    /// The pass and shape class of an algorithm slot; nil for the tile slots.
    public var convolutionChoice: (pass: ConvolutionPass, shape: ConvolutionShapeClass)? {
        switch self {
        case .convForwardNarrow: (.forward, .narrow)
        case .convForwardWide: (.forward, .wide)
        case .convInputGradientNarrow: (.inputGradient, .narrow)
        case .convInputGradientWide: (.inputGradient, .wide)
        case .convWeightGradientNarrow: (.weightGradient, .narrow)
        case .convWeightGradientWide: (.weightGradient, .wide)
        default: nil
        }
    }

    /// The six algorithm slots.
    public static let convolutionAlgorithmSlots: [TuningSlot] = allCases.filter { $0.convolutionChoice != nil }

    public var description: String { rawValue }

    /// The slots tuned on a device: those of the kernels it runs without overrides (register
    /// blocking and direct convolutions on CPUs, local tiles on GPUs), then the convolution
    /// algorithm of every pass and shape class (each pass timed as the backend runs it).
    public static func slots(for tuning: DeviceTuning) -> [TuningSlot] {
        let tiles: [TuningSlot] =
            tuning.usesLocalMemoryTiles
            ? [.localTile]
            : [
                .registerTile, .shortRegisterTile, .directOutputChannels, .narrowDirectOutputChannels, .weightGradientBlock,
                .narrowWeightGradientBlock,
            ]
        return tiles + convolutionAlgorithmSlots
    }

    /// Register tiles tried: TM ∈ {4, 8} × NV ∈ {1, 2} and the default 6 × 2 on 8 lanes, and
    /// TM ∈ {4, 6, 8} × NV ∈ {1, 2} on 16 lanes (512-bit vectors).
    static let registerTiles =
        [(4, 1), (4, 2), (6, 2), (8, 1), (8, 2)].map { KernelTunables.RegisterTile(rows: $0.0, vectors: $0.1) }
        + [(4, 1), (4, 2), (6, 1), (6, 2), (8, 1), (8, 2)].map { KernelTunables.RegisterTile(rows: $0.0, vectors: $0.1, lanes: 16) }
    /// Local tiles tried (TS_M, TS_N, TS_K, WPT_M, WPT_N), where the device's work-group size
    /// and local memory allow: the default, smaller and larger tiles, more work per item, deeper K.
    static let localTiles = [
        (64, 64, 16, 4, 4), (32, 32, 16, 2, 2), (32, 32, 16, 4, 4), (64, 64, 16, 8, 8),
        (128, 128, 16, 8, 8), (64, 64, 32, 4, 4),
    ]
    .map { KernelTunables.LocalTile(tileM: $0.0, tileN: $0.1, tileK: $0.2, workM: $0.3, workN: $0.4) }
    /// Blocks tried for the direct convolution: OCB ∈ {4, 6, 8, 16} with one vector of 16 pixels
    /// (OCB 6: 12 of AVX2's 16 registers of accumulators, each float16 taking two), OCB ∈ {4, 8,
    /// 12} with two (each weight loaded feeds two FMAs: on 512-bit FMA units one vector per weight
    /// leaves the loads, not the FMAs, the limit).
    static let directBlocks = [(4, 1), (6, 1), (8, 1), (16, 1), (4, 2), (8, 2), (12, 2)].map {
        KernelTunables.DirectBlock(outputChannels: $0.0, vectors: $0.1)
    }

    /// Blocks tried for the direct weight gradient: three taps of a filter row with OCB ∈ {4, 6, 8}
    /// (12–24 accumulators: 12 leave room in the 16 registers of AVX2, 24 fill AVX-512's 32), and
    /// one tap with OCB ∈ {4, 8, 16}.
    static let weightGradientBlocks = [(4, 3), (6, 3), (8, 3), (4, 1), (8, 1), (16, 1)].map {
        KernelTunables.WeightGradientBlock(outputChannels: $0.0, taps: $0.1)
    }

    /// Every candidate this slot can choose on `device`: `base` with this slot's value replaced,
    /// each valid on the device. `KernelTuner` passes the values chosen for the slots before this
    /// one, so the algorithm slots time each pass with the tiles it will run with.
    public func candidates(on device: Device, base: KernelTunables = .defaults) -> [KernelTunables] {
        /// `base` with the field at `path` set to each of `values`.
        func each<Value>(_ values: [Value], at path: WritableKeyPath<KernelTunables, Value>) -> [KernelTunables] {
            values.map {
                var t = base; t[keyPath: path] = $0; return t
            }
        }
        let all: [KernelTunables]
        switch self {
        case .registerTile: all = each(Self.registerTiles, at: \.registerTile)
        case .shortRegisterTile: all = each(Self.registerTiles, at: \.shortRegisterTile)
        case .localTile: all = each(Self.localTiles, at: \.localTile)
        case .directOutputChannels:
            all = Self.directBlocks.map {
                var t = base; t.directOutputChannels = $0.outputChannels; t.directVectors = $0.vectors; return t
            }
        case .narrowDirectOutputChannels:
            all = Self.directBlocks.map {
                var t = base; t.narrowDirectOutputChannels = $0.outputChannels; t.narrowDirectVectors = $0.vectors; return t
            }
        case .weightGradientBlock: all = each(Self.weightGradientBlocks, at: \.weightGradientBlock)
        case .narrowWeightGradientBlock: all = each(Self.weightGradientBlocks, at: \.narrowWeightGradientBlock)
        default:
            guard let (pass, shape) = convolutionChoice else { return [] }
            all = ConvolutionAlgorithm.allCases.map {
                var t = base; t.setConvolutionAlgorithm($0, pass, shape); return t
            }
        }
        return all.filter { $0.isValid(on: device) }
    }

    /// This slot's value in `tunables`, as its `-D` settings.
    public func value(in tunables: KernelTunables) -> String {
        switch self {
        case .registerTile: tunables.registerTile.description
        case .shortRegisterTile: tunables.shortRegisterTile.description
        case .localTile: tunables.localTile.description
        case .directOutputChannels: tunables.directBlock(for: .wide).description
        case .narrowDirectOutputChannels: tunables.directBlock(for: .narrow).description
        case .weightGradientBlock: tunables.weightGradientBlock.description
        case .narrowWeightGradientBlock: tunables.narrowWeightGradientBlock.description
        default: convolutionChoice.flatMap { tunables.convolutionAlgorithm($0.pass, $0.shape)?.rawValue } ?? "static rule"
        }
    }

    /// `target` with this slot's value taken from `source`.
    public func copy(from source: KernelTunables, into target: KernelTunables) -> KernelTunables {
        var result = target
        switch self {
        case .registerTile: result.registerTile = source.registerTile
        case .shortRegisterTile: result.shortRegisterTile = source.shortRegisterTile
        case .localTile: result.localTile = source.localTile
        case .directOutputChannels:
            result.directOutputChannels = source.directOutputChannels; result.directVectors = source.directVectors
        case .narrowDirectOutputChannels:
            result.narrowDirectOutputChannels = source.narrowDirectOutputChannels; result.narrowDirectVectors = source.narrowDirectVectors
        case .weightGradientBlock: result.weightGradientBlock = source.weightGradientBlock
        case .narrowWeightGradientBlock: result.narrowWeightGradientBlock = source.narrowWeightGradientBlock
        default:
            if let (pass, shape) = convolutionChoice {
                result.setConvolutionAlgorithm(source.convolutionAlgorithm(pass, shape), pass, shape)
            }
        }
        return result
    }

    /// The GEMM variant whose kernel this slot configures (nil: the direct convolution).
    public var gemmVariant: GemmKernelVariant? {
        switch self {
        case .registerTile, .shortRegisterTile: .registerBlocked
        case .localTile: .localTiles
        default: nil
        }
    }

    /// The problems this slot is timed on: the square product for the general register tile,
    /// the short product for M ≤ 16, both for local tiles, the wide and the narrow convolution's
    /// forward pass for the two direct blocks and its direct weight gradient for the two weight
    /// gradient blocks, and the pass itself at a narrow or wide shape for the algorithm slots.
    func problems(_ set: TuningProblems) -> [TuningProblem] {
        switch self {
        case .registerTile: return [.gemm(set.square)]
        case .shortRegisterTile: return [.gemm(set.short)]
        case .localTile: return [.gemm(set.square), .gemm(set.short)]
        case .directOutputChannels: return [.convolution(set.convolution)]
        case .narrowDirectOutputChannels: return [.convolution(set.narrowConvolution)]
        case .weightGradientBlock: return [.directWeightGradient(set.convolution)]
        case .narrowWeightGradientBlock: return [.directWeightGradient(set.narrowConvolution)]
        default:
            guard let (pass, shape) = convolutionChoice else { return [] }
            return [.convolutionPass(pass, shape == .wide ? set.wideConvolution : set.narrowConvolution)]
        }
    }

}
