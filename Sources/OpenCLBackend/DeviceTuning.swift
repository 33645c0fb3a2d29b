import OpenCLRuntime

/// Kernel shape choices per device, passed to kernels as `-D` defines.
///
/// CPU devices (PoCL) run one work-item per core lane with no real local memory: they want
/// register-blocked tiles and no `__local` staging. GPUs want work-groups sharing `__local`
/// tiles. Kernels read these as defines with `#ifndef` defaults, so each file still compiles alone.
/// The tile sizes themselves (`tunables`) are the built-in defaults unless the backend was opened
/// with a `TuningPolicy` that reads or makes a per-device choice (see `KernelTuner`).
public struct DeviceTuning: Sendable {
    /// Where `tunables` came from.
    public enum Origin: Sendable, Equatable, CustomStringConvertible {
        /// `KernelTunables.defaults`: no tuning asked for, `DIFFNAS_TUNE=off`, or no cached choice.
        case defaults
        /// The cached choice in this file (`TuningCache`).
        case cached(path: String)
        /// Measured by `KernelTuner` when the backend was opened.
        case tuned
        /// Given by the caller (`TuningPolicy.fixed`).
        case fixed

        public var description: String {
            switch self {
            case .defaults: "built-in defaults"
            case .cached(let path): "cached (\(path))"
            case .tuned: "tuned now"
            case .fixed: "fixed by the caller"
            }
        }
    }

    public let isCPU: Bool
    public let usesLocalMemoryTiles: Bool
    /// The `-D` values of the tunable kernels (GEMM tiles, direct-convolution channel block).
    public let tunables: KernelTunables
    public let origin: Origin

    public init(device: Device, tunables: KernelTunables = .defaults, origin: Origin = .defaults) {
        isCPU = device.kind == .cpu
        usesLocalMemoryTiles = device.kind != .cpu && device.hasDedicatedLocalMemory
        self.tunables = tunables
        self.origin = origin
    }
}

/// The `-D` values `KernelTuner` searches and `TuningCache` stores (see the headers of
/// Kernels/gemm.cl and Kernels/conv_direct.cl). `defaults` are the hand-measured values used
/// without tuning; every candidate of `TuningSlot.candidates(on:base:)` is valid on that device.
public struct KernelTunables: Codable, Sendable, Hashable, CustomStringConvertible {
    /// A `gemm_regblock` tile: TM rows × VW·NV columns of C per work-item, in TM·NV vectors of
    /// VW lanes. 16 lanes fill a 512-bit register (AVX-512: one `zmm` per vector; a device with
    /// narrower registers splits each vector in two); 8 lanes fill a 256-bit one.
    public struct RegisterTile: Codable, Sendable, Hashable, CustomStringConvertible {
        /// TM, 1…8.
        public var rows: Int
        /// NV (column vectors), 1 or 2.
        public var vectors: Int
        /// VW (lanes per vector), 8 or 16.
        public var lanes: Int

        public init(rows: Int, vectors: Int, lanes: Int = 8) { self.rows = rows; self.vectors = vectors; self.lanes = lanes }
        public var columns: Int { lanes * vectors }
        public var isValid: Bool { (1...8).contains(rows) && (1...2).contains(vectors) && [8, 16].contains(lanes) }
        public var description: String { "TM=\(rows) NV=\(vectors)" + (lanes == 8 ? "" : " VW=\(lanes)") }

        enum CodingKeys: String, CodingKey { case rows, vectors, lanes }

        /// Decodes cache files written before the lane count was tuned (none: 8 lanes).
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            self.init(
                rows: try c.decode(Int.self, forKey: .rows), vectors: try c.decode(Int.self, forKey: .vectors),
                lanes: try c.decodeIfPresent(Int.self, forKey: .lanes) ?? 8)
        }
    }

    /// A `gemm_local_tiles` shape: a TS_M × TS_N tile of C per work-group, stepping K by TS_K,
    /// WPT_M × WPT_N elements per work-item.
    public struct LocalTile: Codable, Sendable, Hashable, CustomStringConvertible {
        public var tileM: Int, tileN: Int, tileK: Int
        public var workM: Int, workN: Int

        public init(tileM: Int, tileN: Int, tileK: Int, workM: Int, workN: Int) {
            self.tileM = tileM; self.tileN = tileN; self.tileK = tileK; self.workM = workM; self.workN = workN
        }
        /// Work-items per group: (TS_N / WPT_N) × (TS_M / WPT_M).
        public var workGroupSize: Int { (tileN / max(workN, 1)) * (tileM / max(workM, 1)) }
        /// The kernel's `__local` arrays: As[TS_K][TS_M + 1] and Bs[TS_K][TS_N + 1] floats.
        public var localMemoryBytes: Int { tileK * (tileM + 1 + tileN + 1) * MemoryLayout<Float>.stride }
        /// Whether the kernel accepts this shape (each tile a whole number of per-item blocks)
        /// and `device` can run one group of it.
        public func fits(_ device: Device) -> Bool {
            [tileM, tileN, tileK, workM, workN].allSatisfy { $0 >= 1 } && tileM % workM == 0 && tileN % workN == 0
                && workGroupSize <= device.maxWorkGroupSize && UInt64(localMemoryBytes) <= device.localMemoryBytes
        }
        public var description: String { "TS=\(tileM)x\(tileN)x\(tileK) WPT=\(workM)x\(workN)" }
    }

    /// Products with at most this many rows use `shortRegisterTile`.
    public static let shortRowLimit = 16

    /// `gemm_regblock` tile when M > `shortRowLimit`.
    public var registerTile: RegisterTile
    /// `gemm_regblock` tile when M ≤ `shortRowLimit` (the short, wide products of convolutions).
    public var shortRegisterTile: RegisterTile
    /// `gemm_local_tiles` shape.
    public var localTile: LocalTile
    /// OCB of Kernels/conv_direct.cl's forward kernel for outputs at least 16 columns wide (one
    /// row of 16 columns per work-item): output channels per work-item, 1…16.
    public var directOutputChannels: Int
    /// OCB for narrower outputs (8 columns of two rows per work-item), 1…16.
    public var narrowDirectOutputChannels: Int
    /// VECS of the forward kernel for outputs at least 16 columns wide: 16-pixel vectors per
    /// work-item (1 or 2; each broadcast weight feeds VECS fused multiply-adds), OCB·VECS ≤ 24.
    public var directVectors: Int
    /// VECS for narrower outputs.
    public var narrowDirectVectors: Int
    /// OCB × KWB of Kernels/conv_direct.cl's weight gradient for outputs at least 16 columns wide.
    public var weightGradientBlock: WeightGradientBlock
    /// OCB × KWB of the weight gradient for narrower outputs.
    public var narrowWeightGradientBlock: WeightGradientBlock
    /// The measured convolution algorithm per pass and shape class, keyed `"<pass>/<class>"`
    /// (see `convolutionAlgorithm(_:_:)`); a missing entry uses the backend's static rule.
    public var convolutionAlgorithms: [String: ConvolutionAlgorithm]

    public init(
        registerTile: RegisterTile, shortRegisterTile: RegisterTile, localTile: LocalTile, directOutputChannels: Int,
        narrowDirectOutputChannels: Int, directVectors: Int = 1, narrowDirectVectors: Int = 1,
        weightGradientBlock: WeightGradientBlock = .standard, narrowWeightGradientBlock: WeightGradientBlock = .standard,
        convolutionAlgorithms: [String: ConvolutionAlgorithm] = [:]
    ) {
        self.registerTile = registerTile; self.shortRegisterTile = shortRegisterTile
        self.localTile = localTile; self.directOutputChannels = directOutputChannels
        self.narrowDirectOutputChannels = narrowDirectOutputChannels
        self.directVectors = directVectors; self.narrowDirectVectors = narrowDirectVectors
        self.weightGradientBlock = weightGradientBlock; self.narrowWeightGradientBlock = narrowWeightGradientBlock
        self.convolutionAlgorithms = convolutionAlgorithms
    }

    enum CodingKeys: String, CodingKey {
        case registerTile, shortRegisterTile, localTile, directOutputChannels, narrowDirectOutputChannels, directVectors
        case narrowDirectVectors, weightGradientBlock, narrowWeightGradientBlock, convolutionAlgorithms
    }

    /// Decodes cache files written before the algorithm choice existed (no entry: the static rule)
    /// and before the narrow outputs had their own OCB, the direct kernel its VECS or the weight
    /// gradient its block (none: the default).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            registerTile: try c.decode(RegisterTile.self, forKey: .registerTile),
            shortRegisterTile: try c.decode(RegisterTile.self, forKey: .shortRegisterTile),
            localTile: try c.decode(LocalTile.self, forKey: .localTile),
            directOutputChannels: try c.decode(Int.self, forKey: .directOutputChannels),
            narrowDirectOutputChannels: try c.decodeIfPresent(Int.self, forKey: .narrowDirectOutputChannels)
                ?? Self.defaults.narrowDirectOutputChannels,
            directVectors: try c.decodeIfPresent(Int.self, forKey: .directVectors) ?? Self.defaults.directVectors,
            narrowDirectVectors: try c.decodeIfPresent(Int.self, forKey: .narrowDirectVectors) ?? Self.defaults.narrowDirectVectors,
            weightGradientBlock: try c.decodeIfPresent(WeightGradientBlock.self, forKey: .weightGradientBlock) ?? .standard,
            narrowWeightGradientBlock: try c.decodeIfPresent(WeightGradientBlock.self, forKey: .narrowWeightGradientBlock) ?? .standard,
            convolutionAlgorithms: try c.decodeIfPresent([String: ConvolutionAlgorithm].self, forKey: .convolutionAlgorithms) ?? [:])
    }

    /// The tuned algorithm of `pass` for convolutions of `shape`, or nil (use the static rule).
    public func convolutionAlgorithm(_ pass: ConvolutionPass, _ shape: ConvolutionShapeClass) -> ConvolutionAlgorithm? {
        convolutionAlgorithms[Self.algorithmKey(pass, shape)]
    }

    /// Sets (or clears, with nil) the algorithm of `pass` for `shape`.
    public mutating func setConvolutionAlgorithm(
        _ algorithm: ConvolutionAlgorithm?, _ pass: ConvolutionPass, _ shape: ConvolutionShapeClass
    ) {
        convolutionAlgorithms[Self.algorithmKey(pass, shape)] = algorithm
    }

    static func algorithmKey(_ pass: ConvolutionPass, _ shape: ConvolutionShapeClass) -> String { "\(pass.rawValue)/\(shape.rawValue)" }

    /// The values used without tuning. Register tiles: 6 × 16 (12 float8 accumulators, the shape
    /// BLIS uses on AVX2) in general, 8 × 8 when M ≤ 16, where 6-row tiles waste rows and measured
    /// about 2× slower (M = 16, N = 1024, K = 144 convolution GEMMs). Local tiles 64 × 64 × 16 with
    /// 4 × 4 per work-item (256-item groups). Direct convolution: 8 output channels per work-item
    /// on outputs ≥ 16 columns wide, 16 on narrower ones (PoCL, AVX-512 EPYC, batch 128, kernel
    /// alone: 170 / 206 GFLOP/s at 32×32 / 16×16 with 8 against 150 / 182 with 16; 205 GFLOP/s at
    /// 8×8 with 16 against 157 with 8), one 16-pixel vector per work-item. The register tiles stay
    /// on 8 lanes and the direct kernel on one vector, which every device holds without spilling;
    /// the tuner tries 16 lanes and two vectors (on a Zen 5 EPYC, whose FMA units are 512 bits
    /// wide, TM=8 NV=2 VW=16 ran 250 GFLOP/s at 256³ against 170 for the best 8-lane tile, and
    /// OCB 8 × 2 vectors 229 against 206 for OCB 16 × 1 at 32×32, batch 32).
    public static let defaults = KernelTunables(
        registerTile: RegisterTile(rows: 6, vectors: 2), shortRegisterTile: RegisterTile(rows: 8, vectors: 1),
        localTile: LocalTile(tileM: 64, tileN: 64, tileK: 16, workM: 4, workN: 4), directOutputChannels: 8,
        narrowDirectOutputChannels: 16)

    /// OCB and VECS of the direct convolution for outputs of `shape`.
    public func directBlock(for shape: ConvolutionShapeClass) -> DirectBlock {
        shape == .wide
            ? DirectBlock(outputChannels: directOutputChannels, vectors: directVectors)
            : DirectBlock(outputChannels: narrowDirectOutputChannels, vectors: narrowDirectVectors)
    }

    /// OCB and KWB of the direct weight gradient for outputs of `shape`.
    public func weightGradientBlock(for shape: ConvolutionShapeClass) -> WeightGradientBlock {
        shape == .wide ? weightGradientBlock : narrowWeightGradientBlock
    }

    /// A work-item's block of `conv2d_direct_weight_grad_partial`: OCB output channels × KWB taps
    /// of one filter row, OCB·KWB float8 accumulators; each dy vector loaded feeds KWB FMAs and
    /// each input vector OCB.
    public struct WeightGradientBlock: Codable, Sendable, Hashable, CustomStringConvertible {
        public var outputChannels: Int, taps: Int
        public init(outputChannels: Int, taps: Int) { self.outputChannels = outputChannels; self.taps = taps }
        /// OCB 8 × KWB 3 (24 accumulators): measured on PoCL (AVX-512 EPYC, 32 vector registers)
        /// 1.6–2.2× faster than one tap per work-item at the ResNet-20 32×32 and 16×16 shapes, and
        /// OCB 16 ~1.6× slower than 8 (ResNet-20 step 101 → 163 ms).
        public static let standard = WeightGradientBlock(outputChannels: 8, taps: 3)
        /// OCB 1…16, KWB 1…4, at most 24 accumulators (of the 32 AVX-512 registers).
        public var isValid: Bool { (1...16).contains(outputChannels) && (1...4).contains(taps) && outputChannels * taps <= 24 }
        public var description: String { "OCB=\(outputChannels) KWB=\(taps)" }
    }

    /// A forward work-item's block of `conv2d_direct_regblock`: OCB output channels × VECS
    /// vectors of 16 pixels.
    public struct DirectBlock: Sendable, Hashable, CustomStringConvertible {
        public var outputChannels: Int, vectors: Int
        public init(outputChannels: Int, vectors: Int) { self.outputChannels = outputChannels; self.vectors = vectors }
        /// OCB 1…16, VECS 1 or 2, at most 24 accumulators (of the 32 AVX-512 registers).
        public var isValid: Bool { (1...16).contains(outputChannels) && (1...2).contains(vectors) && outputChannels * vectors <= 24 }
        public var description: String { "OCB=\(outputChannels)" + (vectors == 1 ? "" : " VECS=\(vectors)") }
    }

    /// The register tile for a product with `m` rows.
    public func registerTile(m: Int) -> RegisterTile { m <= Self.shortRowLimit ? shortRegisterTile : registerTile }

    /// Whether every value is one the kernels accept on `device` (a cache file is checked with this).
    public func isValid(on device: Device) -> Bool {
        let keys = Set(ConvolutionPass.allCases.flatMap { pass in ConvolutionShapeClass.allCases.map { Self.algorithmKey(pass, $0) } })
        return registerTile.isValid && shortRegisterTile.isValid && localTile.fits(device) && directBlock(for: .wide).isValid
            && directBlock(for: .narrow).isValid && weightGradientBlock.isValid && narrowWeightGradientBlock.isValid
            && convolutionAlgorithms.keys.allSatisfy(keys.contains)
    }

    public var description: String {
        let algorithms = convolutionAlgorithms.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.rawValue)" }
        return
            "regblock \(registerTile), regblock M≤\(Self.shortRowLimit) \(shortRegisterTile), local \(localTile), direct \(directBlock(for: .wide)) (narrow \(directBlock(for: .narrow))), "
            + "weight gradient \(weightGradientBlock) (narrow \(narrowWeightGradientBlock))"
            + (algorithms.isEmpty ? "" : ", conv " + algorithms.joined(separator: " "))
    }
}
