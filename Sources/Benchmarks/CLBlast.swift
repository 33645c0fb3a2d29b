import CCLBlast
import OpenCLRuntime

/// A CLBlast call that returned something other than `CLBlastSuccess`: the routine, its status
/// and the problem it was given.
public struct CLBlastError: Error, CustomStringConvertible, Sendable {
    public let status: Int32
    public let call: String
    public let detail: String

    public var description: String { "\(call) failed with \(CLBlastError.name(of: status)) (\(status)): \(detail)" }

    /// The `CLBlast*` name of a status code (the OpenCL-shared ones by their `CL_*` meaning).
    public static func name(of status: Int32) -> String {
        switch status {
        case 0: "CLBlastSuccess"
        case -3: "CLBlastOpenCLCompilerNotAvailable"
        case -4: "CLBlastTempBufferAllocFailure"
        case -5: "CLBlastOpenCLOutOfResources"
        case -6: "CLBlastOpenCLOutOfHostMemory"
        case -11: "CLBlastOpenCLBuildProgramFailure"
        case -30: "CLBlastInvalidValue"
        case -36: "CLBlastInvalidCommandQueue"
        case -38: "CLBlastInvalidMemObject"
        case -54: "CLBlastInvalidLocalThreadsTotal"
        case -55: "CLBlastInvalidLocalThreadsDim"
        case -1024: "CLBlastNotImplemented"
        case -1017: "CLBlastInvalidDimension"
        case -1016: "CLBlastInvalidLeadDimA"
        case -1015: "CLBlastInvalidLeadDimB"
        case -1014: "CLBlastInvalidLeadDimC"
        case -1011: "CLBlastInsufficientMemoryA"
        case -1010: "CLBlastInsufficientMemoryB"
        case -1009: "CLBlastInsufficientMemoryC"
        case -2049: "CLBlastInvalidBatchCount"
        case -2046: "CLBlastInvalidLocalMemUsage"
        case -2041: "CLBlastDatabaseError"
        case -2040: "CLBlastUnknownError"
        case -2039: "CLBlastUnexpectedError"
        default: "CLBlast status"
        }
    }
}

/// Thin wrappers of the CLBlast routines the benchmarks compare against, on the caller's queue
/// and buffers (the same context and queue as the OpenCL backend, so both run the same data
/// in the same order). Row-major layout; offsets, leading dimensions and strides in elements.
/// No event is requested: callers time CLBlast by bracketing it with queue markers, since its
/// helper kernels (padding, transposition, im2col) are not covered by the one event it returns.
public enum CLBlast {
    static func check(_ status: CLBlastStatusCode, _ call: String, _ detail: @autoclosure () -> String) throws {
        guard status.rawValue == CLBlastSuccess.rawValue else {
            throw CLBlastError(status: Int32(status.rawValue), call: call, detail: detail())
        }
    }

    /// `CLBlastSgemm`: `C = α·op(A)·op(B) + β·C`, op(A) `[m, k]`, op(B) `[k, n]`, C `[m, n]`.
    public static func sgemm(
        queue: CommandQueue, transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: Buffer, aOffset: Int = 0, lda: Int, b: Buffer, bOffset: Int = 0, ldb: Int, beta: Float = 0,
        c: Buffer, cOffset: Int = 0, ldc: Int
    ) throws {
        var q: cl_command_queue? = queue.handle
        let status = CLBlastSgemm(
            CLBlastLayoutRowMajor, transpose(transposeA), transpose(transposeB), m, n, k, alpha,
            a.handle, aOffset, lda, b.handle, bOffset, ldb, beta, c.handle, cOffset, ldc, &q, nil)
        try check(status, "CLBlastSgemm", "\(transposeA ? "T" : "N")\(transposeB ? "T" : "N") m \(m) n \(n) k \(k)")
    }

    /// `CLBlastSgemmStridedBatched`: `sgemm` for `batch` items `stride` elements apart (a stride
    /// of 0 shares one operand).
    public static func sgemmStridedBatched(
        queue: CommandQueue, transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: Buffer, aOffset: Int = 0, lda: Int, aStride: Int,
        b: Buffer, bOffset: Int = 0, ldb: Int, bStride: Int, beta: Float = 0,
        c: Buffer, cOffset: Int = 0, ldc: Int, cStride: Int, batch: Int
    ) throws {
        var q: cl_command_queue? = queue.handle
        let status = CLBlastSgemmStridedBatched(
            CLBlastLayoutRowMajor, transpose(transposeA), transpose(transposeB), m, n, k, alpha,
            a.handle, aOffset, lda, aStride, b.handle, bOffset, ldb, bStride, beta,
            c.handle, cOffset, ldc, cStride, batch, &q, nil)
        try check(
            status, "CLBlastSgemmStridedBatched",
            "\(transposeA ? "T" : "N")\(transposeB ? "T" : "N") m \(m) n \(n) k \(k) batch \(batch) strides \(aStride)/\(bStride)/\(cStride)"
        )
    }

    /// The window of a convolution as CLBlast's im2col-family routines take it.
    public struct Window: Sendable {
        public var channels: Int, height: Int, width: Int, kernel: Int, padding: Int, stride: Int, dilation: Int
        public init(channels: Int, height: Int, width: Int, kernel: Int, padding: Int, stride: Int, dilation: Int = 1) {
            self.channels = channels; self.height = height; self.width = width
            self.kernel = kernel; self.padding = padding; self.stride = stride; self.dilation = dilation
        }
        var text: String { "c \(channels) \(height)×\(width) k \(kernel) pad \(padding) stride \(stride) dilation \(dilation)" }
    }

    /// `CLBlastSconvgemm` (cross-correlation, i.e. the deep-learning convolution): `batch`
    /// images `[C, H, W]` from `image`, weights `[numKernels, C, k, k]`, result
    /// `[batch, numKernels, H_out, W_out]`. CLBlast runs im2col per image, then one GEMM kernel.
    public static func sconvgemm(
        queue: CommandQueue, window w: Window, numKernels: Int, batch: Int,
        image: Buffer, imageOffset: Int = 0, kernel: Buffer, kernelOffset: Int = 0,
        result: Buffer, resultOffset: Int = 0
    ) throws {
        var q: cl_command_queue? = queue.handle
        let status = CLBlastSconvgemm(
            CLBlastKernelModeCrossCorrelation, w.channels, w.height, w.width, w.kernel, w.kernel,
            w.padding, w.padding, w.stride, w.stride, w.dilation, w.dilation, numKernels, batch,
            image.handle, imageOffset, kernel.handle, kernelOffset, result.handle, resultOffset, &q, nil)
        try check(status, "CLBlastSconvgemm", "\(w.text) kernels \(numKernels) batch \(batch)")
    }

    /// `CLBlastSim2col` (cross-correlation) of one image `[C, H, W]` into `[C·k·k, H_out·W_out]`.
    public static func sim2col(
        queue: CommandQueue, window w: Window, image: Buffer, imageOffset: Int = 0,
        columns: Buffer, columnsOffset: Int = 0
    ) throws {
        var q: cl_command_queue? = queue.handle
        let status = CLBlastSim2col(
            CLBlastKernelModeCrossCorrelation, w.channels, w.height, w.width, w.kernel, w.kernel,
            w.padding, w.padding, w.stride, w.stride, w.dilation, w.dilation,
            image.handle, imageOffset, columns.handle, columnsOffset, &q, nil)
        try check(status, "CLBlastSim2col", w.text)
    }

    /// `CLBlastScol2im` (cross-correlation): adds the column matrix `[C·k·k, H_out·W_out]` back
    /// into one image `[C, H, W]` (accumulating: the image must be zeroed first).
    public static func scol2im(
        queue: CommandQueue, window w: Window, columns: Buffer, columnsOffset: Int = 0,
        image: Buffer, imageOffset: Int = 0
    ) throws {
        var q: cl_command_queue? = queue.handle
        let status = CLBlastScol2im(
            CLBlastKernelModeCrossCorrelation, w.channels, w.height, w.width, w.kernel, w.kernel,
            w.padding, w.padding, w.stride, w.stride, w.dilation, w.dilation,
            columns.handle, columnsOffset, image.handle, imageOffset, &q, nil)
        try check(status, "CLBlastScol2im", w.text)
    }

    private static func transpose(_ on: Bool) -> CLBlastTranspose { on ? CLBlastTransposeYes : CLBlastTransposeNo }
}
