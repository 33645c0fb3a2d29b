// OpenCLBackend — runs every DiffNAS operation as a hand-written kernel from `Kernels/*.cl`.
//
// The kernel sources are embedded at build time (see Tools/EmbedKernelsPlugin); programs are
// built once per (file, -D defines, device) and cached in memory and on disk. One in-order
// queue orders all work, so a buffer returned to the pool can be reused by the next command
// without waiting. Operation files: `OpenCLBackend+<Family>.swift`.
import Foundation
import OpenCLRuntime
import TensorCore

/// A tensor's device buffer. Returns the buffer to its backend's pool when released.
public final class OpenCLStorage: TensorStorage, @unchecked Sendable {
    public let buffer: Buffer
    public let count: Int
    private weak var pool: BufferPool?

    init(buffer: Buffer, count: Int, pool: BufferPool?) {
        self.buffer = buffer; self.count = count; self.pool = pool
    }

    deinit { pool?.recycle(buffer) }
}

/// The OpenCL backend on one device.
public final class OpenCLBackend: Backend, @unchecked Sendable {
    public let device: Device
    public let context: Context
    public let queue: CommandQueue
    public let programs: ProgramCache
    let pool: BufferPool
    /// Per-kernel device time, collected while `profiler` is set.
    public var profiler: KernelProfiler?
    private var kernels: [String: Kernel] = [:]
    private let kernelLock = NSLock()
    /// Tuning choices (`-D` values) for this device; see `DeviceTuning`. Set once, in `init`.
    public private(set) var tuning: DeviceTuning
    /// The device's fixed launch constants (work-group sizes, block counts, vector widths).
    public let launchPlan: LaunchPlan
    /// Records every launch (kernel, defines, sizes) while set; see `LaunchTrace`.
    public var launchTrace: LaunchTrace?
    /// Forces one GEMM variant on this backend (nil: choose from `tuning`). Lets the tests run
    /// the GPU kernel on PoCL and benchmarks compare the two.
    public var gemmVariantOverride: GemmKernelVariant?
    /// Forces one convolution algorithm for every pass it applies to (nil: the automatic choice
    /// of `convolutionUsesDirect`). Lets the tests cover both on one device and benchmarks compare them.
    public var convolutionAlgorithmOverride: ConvolutionAlgorithm?
    /// Forces pooling's row-tile kernels on (true) or off (false) where their strides
    /// allow them (nil: `launchPlan.poolingRowTiles`). Lets the tests cover both on one device.
    public var poolingRowTilesOverride: Bool?
    /// Forces the one-work-item-per-row kernels (batch norm's y and dx, the channel mask) on
    /// (true) or off (false) (nil: `launchPlan.rowLoops`). Lets the tests cover both on one device.
    public var rowLoopsOverride: Bool?
    /// false: the dense convolutions never take conv_rows.cl's row kernels (`conv2d_rows`,
    /// `conv2d_weight_grad_rows`) nor conv_channels.cl's weight gradient, and always the padded
    /// copy with conv_direct.cl's kernels; nil: where `launchPlan` fits them. Lets the tests cover both on one device.
    public var denseRowKernelsOverride: Bool?

    /// Whether the per-channel row kernels run one work-item per row: `rowLoopsOverride`, else
    /// the plan's.
    var rowLoops: Bool { rowLoopsOverride ?? launchPlan.rowLoops }
    /// Elements per work-item of the flat element-wise kernels instead of
    /// `launchPlan.flatVectorWidth` (2, 4, 8 or 16; nil: the plan's). Lets the tests cover the
    /// GPUs' width on one device.
    public var flatVectorWidthOverride: Int?
    /// float16 vectors per work-item of the soft mask's ratio gradient on CPU devices instead of
    /// `launchPlan.topKGradVectors` (a power of two; nil: the plan's). Lets the tests cover both
    /// the 4096-element groups and the 256-element ones on one device.
    public var topKGradVectorsOverride: Int?
    /// Tile sizes and algorithm choices used instead of `tuning.tunables` while set: `KernelTuner`
    /// times a whole pass with each candidate this way (see `activeTunables`).
    var tunablesOverride: KernelTunables?

    /// The tunables the operations launch with: `tunablesOverride`, else `tuning.tunables`.
    var activeTunables: KernelTunables { tunablesOverride ?? tuning.tunables }

    /// Opens `device` (default: `Device.select()`, i.e. `DIFFNAS_DEVICE`, else a GPU, else a CPU).
    /// Programs are cached in `cacheDirectory`, tuning results in its `tuning` subfolder.
    /// `tuning` decides the kernels' tile sizes: the built-in defaults unless asked otherwise
    /// (see `TuningPolicy`; `.tuneIfNeeded` may spend seconds here, once per device).
    public init(
        device: Device? = nil, cacheDirectory: URL? = ProgramCache.defaultDirectory(),
        tuning policy: TuningPolicy = .defaults
    ) throws {
        let device = try device ?? Device.select()
        self.device = device
        context = try Context(device: device)
        queue = try CommandQueue(context: context, profiling: true)
        programs = ProgramCache(context: context, directory: cacheDirectory)
        pool = BufferPool(context: context)
        tuning = DeviceTuning(device: device)
        launchPlan = LaunchPlan(tuning: DeviceTuning(device: device), device: device)
        if policy != .defaults { tuning = resolveTuning(policy, cache: TuningCache(programCacheDirectory: cacheDirectory)) }
    }

    public var name: String { "opencl" }
    public var deviceDescription: String { device.description }

    // MARK: Helpers for the operation files

    /// The device buffer of a tensor this backend made.
    func buffer(_ tensor: Tensor) -> Buffer {
        guard let storage = tensor.storage as? OpenCLStorage else {
            preconditionFailure("a tensor from another backend (\(type(of: tensor.storage))) was passed to the OpenCL backend")
        }
        return storage.buffer
    }

    /// A new tensor with uninitialized contents (from the buffer pool).
    func empty(_ shape: [Int]) throws -> Tensor {
        try require(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        let count = shape.reduce(1, *)
        let buffer = try pool.take(byteCount: count * MemoryLayout<Float>.stride)
        return Tensor(shape: shape, storage: OpenCLStorage(buffer: buffer, count: count, pool: pool))
    }

    /// The kernel `name` of `Kernels/<file>` compiled with `defines`, built once and cached.
    /// `DIFFNAS_KERNEL_DIR`, when set, reads the `.cl` file from that folder instead of the
    /// embedded copy (for iterating on a kernel without rebuilding).
    public func kernel(_ file: String, _ name: String, defines: [String: String] = [:]) throws -> Kernel {
        let key = file + "|" + name + "|" + defines.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        kernelLock.lock()
        defer { kernelLock.unlock() }
        if let kernel = kernels[key] { return kernel }
        let source = try Self.kernelSource(file)
        let program = try programs.program(source: source, name: file, defines: defines, extraOptions: "-cl-mad-enable")
        let kernel = try Kernel(program: program, name: name)
        kernels[key] = kernel
        return kernel
    }

    /// The text of `Kernels/<file>`: embedded, or from `DIFFNAS_KERNEL_DIR` when set.
    static func kernelSource(_ file: String) throws -> String {
        if let dir = ProcessInfo.processInfo.environment["DIFFNAS_KERNEL_DIR"], !dir.isEmpty {
            let url = URL(fileURLWithPath: dir).appendingPathComponent(file)
            guard let text = try? String(contentsOf: url, encoding: .utf8) else {
                throw TensorError.argument("DIFFNAS_KERNEL_DIR is set but \(url.path) cannot be read")
            }
            return text
        }
        guard let source = KernelSources.all[file] else {
            preconditionFailure("no embedded kernel file \(file); is it in Kernels/?")
        }
        return source
    }

    /// Launches `name` from `file` over `global` work-items (optionally in groups of `local`).
    func launch(
        _ file: String, _ name: String, defines: [String: String] = [:], global: [Int], local: [Int]? = nil,
        _ arguments: [KernelArgument]
    ) throws {
        let kernel = try kernel(file, name, defines: defines)
        launchTrace?.record(file: file, kernel: name, defines: defines, global: global, local: local)
        let event = try kernel.launch(on: queue, global: global, local: local, arguments: arguments, wantEvent: profiler != nil)
        if let event, let profiler { profiler.record(kernel: name, event: event) }
    }

    // MARK: Memory

    public func zeros(_ shape: [Int]) throws -> Tensor {
        let tensor = try empty(shape)
        try fill(tensor, with: 0)
        return tensor
    }

    public func upload(_ values: [Float], shape: [Int]) throws -> Tensor {
        try require(
            shape.allSatisfy { $0 >= 0 } && shape.reduce(1, *) == values.count,
            "upload: \(values.count) values do not fill shape \(shape)")
        let tensor = try empty(shape)
        try buffer(tensor).write(values, queue: queue)
        return tensor
    }

    public func download(_ tensor: Tensor) throws -> [Float] {
        try buffer(tensor).read(Float.self, count: tensor.count, queue: queue)
    }

    public func copy(_ source: Tensor, into destination: Tensor) throws {
        try require(source.count == destination.count, "copy: \(source.shape) into \(destination.shape) differ in size")
        try buffer(destination).copy(from: buffer(source), byteCount: source.count * MemoryLayout<Float>.stride, queue: queue)
    }

    public func fill(_ tensor: Tensor, with value: Float) throws {
        let width = launchPlan.chunkVectorWidth
        try launch(
            "memory.cl", "fill", defines: ["FILL_VEC": "\(width)"], global: [(tensor.count + width - 1) / width],
            [.buffer(buffer(tensor)), .float(value), .index(tensor.count)])
    }

    public func synchronize() throws { try queue.finish() }

    public func memoryUsage() -> MemoryUsage { pool.memory.usage }
    public func resetPeakMemory() { pool.memory.resetPeak() }
}

extension KernelArgument {
    /// A size, count or index as a kernel `int` — the one checked conversion: the kernels index
    /// with 32-bit ints, so a value that does not fit is a `TensorError`, never a trap.
    static func index(_ value: Int) throws -> KernelArgument {
        guard let v = Int32(exactly: value) else {
            throw TensorError.argument("a size or index of \(value) exceeds the 32-bit indices of the OpenCL kernels")
        }
        return .int(v)
    }
}

/// Throws a `TensorError` naming `op` when `value` does not fit the kernels' 32-bit indices
/// (checked before any buffer is allocated).
func requireIndexable(_ value: Int, _ op: String) throws {
    try require(value >= 0 && value <= Int(Int32.max), "\(op): size \(value) exceeds the 32-bit indices of the OpenCL kernels")
}
