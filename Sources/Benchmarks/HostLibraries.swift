import CHostLibraries
import Foundation

/// A native CPU library that could not be loaded or refused a call: the one-line reason.
public struct HostLibraryError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Calls `body` with a reason buffer; throws its text when `body` reports failure.
func withReason(_ body: (UnsafeMutablePointer<CChar>, Int) -> Bool) throws {
    var buffer = [CChar](repeating: 0, count: 512)
    let ok = buffer.withUnsafeMutableBufferPointer { body($0.baseAddress!, $0.count) }
    if !ok { throw HostLibraryError(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)) }
}

/// OpenBLAS's `cblas_sgemm`, loaded on first use (see `CHostLibraries`): the GEMM a CPU user
/// would otherwise call. Its kernel set is chosen when it loads — `OPENBLAS_CORETYPE` in the
/// environment forces one (this machine's environment forces Haswell's AVX2 kernels; run the
/// benchmark with `env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE` for the native ones) — and is
/// part of every result's name.
public enum OpenBLAS {
    /// "OpenBLAS sgemm (SkylakeX kernels, 2 threads)", or why it cannot run here.
    public static let availability: Result<String, HostLibraryError> = {
        do {
            try withReason { hl_openblas_load($0, $1) == 0 }
        } catch let error as HostLibraryError {
            return .failure(error)
        } catch {
            return .failure(HostLibraryError("\(error)"))
        }
        var kernels = String(cString: hl_openblas_corename()) + " kernels"
        if let forced = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"], !forced.isEmpty {
            kernels += " forced by OPENBLAS_CORETYPE=\(forced)"
        }
        return .success("OpenBLAS sgemm (\(kernels), \(hl_openblas_threads()) threads)")
    }()

    /// Row-major `C[m×n] = α·op(A)·op(B) + β·C` (callers check `availability` first).
    public static func sgemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        hl_openblas_sgemm(
            transposeA ? 1 : 0, transposeB ? 1 : 0, Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb),
            beta, c, Int32(ldc))
    }
}

/// One pass of a oneDNN convolution (oneDNN 2.x, loaded on first use): the primitive with the
/// layouts oneDNN prefers for the shape, its inputs reordered into them once at setup, so `run`
/// times the convolution alone; `output` reorders the result back to plain NCHW/OIHW.
public final class OneDNNConvolution {
    /// "oneDNN 2.6.3 (OpenMP, 2 threads)", or why it cannot run here.
    public static let availability: Result<String, HostLibraryError> = {
        do {
            try withReason { hl_dnnl_load($0, $1) == 0 }
            return .success("oneDNN " + String(cString: hl_dnnl_description()))
        } catch let error as HostLibraryError {
            return .failure(error)
        } catch {
            return .failure(HostLibraryError("\(error)"))
        }
    }()

    private let handle: OpaquePointer
    /// The implementation oneDNN picked, e.g. "jit:avx512_core" or "jit_dw:avx512_core".
    public let implementation: String
    public let outputCount: Int

    /// `pass` of `problem` with plain host inputs (`dy` unused by the forward pass, `x` by grad-input).
    public init(problem p: ConvProblem, pass: ConvProblem.Pass, x: [Float], weight: [Float], dy: [Float]) throws {
        let code: Int32 =
            switch pass {
            case .forward: Int32(HL_CONV_FORWARD.rawValue)
            case .gradInput: Int32(HL_CONV_BACKWARD_DATA.rawValue)
            case .gradWeight: Int32(HL_CONV_BACKWARD_WEIGHTS.rawValue)
            }
        var made: OpaquePointer?
        try withReason { reason, capacity in
            made = x.withUnsafeBufferPointer { xp in
                weight.withUnsafeBufferPointer { wp in
                    dy.withUnsafeBufferPointer { dp in
                        hl_dnnl_convolution_create(
                            code, Int32(p.batch), Int32(p.inChannels), Int32(p.height), Int32(p.width), Int32(p.outChannels),
                            Int32(p.kernel), Int32(p.stride), Int32(p.padding), Int32(p.dilation), Int32(p.groups),
                            xp.baseAddress, wp.baseAddress, dp.baseAddress, reason, capacity)
                    }
                }
            }
            return made != nil
        }
        handle = made!
        implementation = String(cString: hl_dnnl_convolution_implementation(handle))
        outputCount = Int(hl_dnnl_convolution_output_count(handle))
    }

    deinit { hl_dnnl_convolution_destroy(handle) }

    /// Executes the pass once and waits for it.
    public func run() throws {
        try withReason { hl_dnnl_convolution_run(handle, $0, $1) == 0 }
    }

    /// The latest output in the plain layout.
    public func output() throws -> [Float] {
        var out = [Float](repeating: 0, count: outputCount)
        try withReason { reason, capacity in
            out.withUnsafeMutableBufferPointer { hl_dnnl_convolution_output(handle, $0.baseAddress, reason, capacity) == 0 }
        }
        return out
    }
}

/// A host output array kept across the runs of a host comparator.
final class HostArray {
    var values: [Float]
    init(count: Int) { values = [Float](repeating: 0, count: count) }
}
