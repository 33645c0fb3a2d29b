/// Everything a differentiable search computes, implemented once per backend.
///
/// There are deliberately **no default implementations** (no protocol extension supplies a
/// requirement): a new operation does not compile until the reference backend (the spec) and
/// the OpenCL backend both implement it. Shapes are validated with the shared helpers in
/// TensorCore so both backends reject the same inputs with the same message.
///
/// Tensors are Float32, row-major, images NCHW. Class labels are stored as Float class ids.
/// Every operation allocates its result unless it says it updates in place.
public protocol Backend: AnyObject, Sendable {
    /// "reference" or "opencl".
    var name: String { get }
    /// Human-readable description of where the computation runs.
    var deviceDescription: String { get }

    // MARK: Memory
    /// A new tensor of `shape` filled with zeros.
    func zeros(_ shape: [Int]) throws -> Tensor
    /// A new tensor holding `values` (row-major) with `shape`.
    func upload(_ values: [Float], shape: [Int]) throws -> Tensor
    /// The tensor's values in row-major order.
    func download(_ tensor: Tensor) throws -> [Float]
    /// Copies `source` into `destination` (equal element counts), in place.
    func copy(_ source: Tensor, into destination: Tensor) throws
    /// Sets every element of `tensor` to `value`, in place.
    func fill(_ tensor: Tensor, with value: Float) throws
    /// Waits until all queued work has finished.
    func synchronize() throws
    /// Bytes of tensor storage alive now, and the most alive at once since `resetPeakMemory()`
    /// (device buffers for OpenCL, rounded up to the pool's size classes; host arrays for the reference).
    func memoryUsage() -> MemoryUsage
    /// Starts a new peak measurement at the bytes alive now.
    func resetPeakMemory()

    // MARK: Matrix multiply
    /// `C[b] = α·op(A[b])·op(B[b]) + β·C[b]`, in place on `c`.
    /// op(A) is `[M, K]`: `a` is `[M, K]` (or `[K, M]` when `transposeA`), with an optional leading
    /// batch dimension; a rank-2 operand is shared by every batch. `c` is `[M, N]` or `[batch, M, N]`.
    /// With β = 0, `c`'s previous contents are ignored (NaN included).
    func gemm(_ a: Tensor, _ b: Tensor, into c: Tensor, transposeA: Bool, transposeB: Bool, alpha: Float, beta: Float) throws
    /// `y[r, j] = x[r, j] + bias[j]` for `x: [rows, cols]`, `bias: [cols]`.
    func addBias(_ x: Tensor, bias: Tensor) throws -> Tensor

    // MARK: Convolution (NCHW, weight [C_out, C_in/groups, kH, kW])
    /// `y[n,o,i,j] = b[o] + Σ_{c∈group(o),p,q} x[n,c, i·s−pad+p·d, j·s−pad+q·d] · w[o,c,p,q]`.
    func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, params: Conv2dParams) throws -> Tensor
    /// `∂L/∂x` given `∂L/∂y`; `inputShape` is x's shape.
    func conv2dBackwardInput(_ dy: Tensor, weight: Tensor, inputShape: [Int], params: Conv2dParams) throws -> Tensor
    /// `∂L/∂w` given `∂L/∂y` and the forward input `x`; `weightShape` is w's shape.
    func conv2dBackwardWeight(_ dy: Tensor, input x: Tensor, weightShape: [Int], params: Conv2dParams) throws -> Tensor
    /// `∂L/∂b[o] = Σ_{n,i,j} dy[n,o,i,j]`.
    func conv2dBackwardBias(_ dy: Tensor) throws -> Tensor

    // MARK: Normalization
    /// Training-mode batch norm over N, H, W per channel of `x: [N, C, H, W]` (or `[N, C]`), with
    /// biased batch variance for normalization. Updates `runningMean`/`runningVar` in place:
    /// `r ← (1 − momentum)·r + momentum·batch`, using the unbiased variance (PyTorch).
    func batchNormTraining(
        _ x: Tensor, gamma: Tensor, beta: Tensor, runningMean: Tensor, runningVar: Tensor,
        momentum: Float, epsilon: Float
    ) throws -> BatchNormForward
    /// Inference batch norm `y = γ·(x − r_mean)/sqrt(r_var + ε) + β`.
    func batchNormInference(
        _ x: Tensor, gamma: Tensor, beta: Tensor, runningMean: Tensor, runningVar: Tensor,
        epsilon: Float
    ) throws -> Tensor
    /// Gradients of the training-mode forward pass.
    func batchNormBackward(
        _ dy: Tensor, input x: Tensor, gamma: Tensor, savedMean: Tensor, savedInvStd: Tensor
    ) throws -> BatchNormGradients

    // MARK: Elementwise
    /// `max(x, 0)`.
    func relu(_ x: Tensor) throws -> Tensor
    /// `dy · [x > 0]`.
    func reluBackward(_ dy: Tensor, input x: Tensor) throws -> Tensor
    /// `a + b` (same shape).
    func add(_ a: Tensor, _ b: Tensor) throws -> Tensor
    /// `a · b` elementwise (same shape).
    func multiply(_ a: Tensor, _ b: Tensor) throws -> Tensor
    /// `s · x`.
    func scale(_ x: Tensor, by s: Float) throws -> Tensor
    /// `y ← y + α·x`, in place on `y` (gradient accumulation).
    func axpy(_ alpha: Float, _ x: Tensor, into y: Tensor) throws
    /// `y[n, c, …] = x[n, c, …] · mask[c]` for `x: [N, C, …]`, `mask: [C]`: a soft mask acting on channels.
    func channelMask(_ x: Tensor, mask: Tensor) throws -> Tensor
    /// `(∂L/∂x = dy·mask[c], ∂L/∂mask[c] = Σ_{n,…} dy·x)`.
    func channelMaskBackward(_ dy: Tensor, input x: Tensor, mask: Tensor) throws -> (input: Tensor, mask: Tensor)
    /// `y = x · s[index]`: one element of a device tensor scales a whole tensor (depth masks, op weights).
    func scaleByElement(_ x: Tensor, _ s: Tensor, index: Int) throws -> Tensor
    /// `(∂L/∂x = dy·s[index], ∂L/∂s[index] = Σ dy·x as a [1] tensor)`.
    func scaleByElementBackward(_ dy: Tensor, input x: Tensor, _ s: Tensor, index: Int) throws -> (input: Tensor, scale: Tensor)

    // MARK: Pooling
    /// Max over each window (padding never wins); `x: [N, C, H, W]`.
    func maxPool2d(_ x: Tensor, params: Pool2dParams) throws -> Tensor
    /// Routes `dy` to the first maximal element of each window.
    func maxPool2dBackward(_ dy: Tensor, input x: Tensor, params: Pool2dParams) throws -> Tensor
    /// Mean over each window; the divisor counts padding when `countIncludePad`.
    func avgPool2d(_ x: Tensor, params: Pool2dParams, countIncludePad: Bool) throws -> Tensor
    func avgPool2dBackward(_ dy: Tensor, inputShape: [Int], params: Pool2dParams, countIncludePad: Bool) throws -> Tensor
    /// `[N, C, H, W] → [N, C]` mean over H·W.
    func globalAvgPool(_ x: Tensor) throws -> Tensor
    func globalAvgPoolBackward(_ dy: Tensor, inputShape: [Int]) throws -> Tensor

    // MARK: Loss
    /// Mean softmax cross-entropy of `logits: [N, K]` against `labels: [N]` (class ids as Float),
    /// computed stably (max-subtracted log-sum-exp). Returns the loss `[1]` and softmax `[N, K]`.
    func softmaxCrossEntropy(logits: Tensor, labels: Tensor) throws -> (loss: Tensor, probabilities: Tensor)
    /// `∂L/∂logits = (p − onehot(label)) · upstream / N`.
    func softmaxCrossEntropyBackward(probabilities: Tensor, labels: Tensor, upstream: Float) throws -> Tensor
    /// Index of the largest entry of each row of `x: [N, K]` (first on ties), as Float `[N]`.
    func argmax(_ x: Tensor) throws -> Tensor

    // MARK: Reductions
    /// Sum over `axes` (sorted, distinct); the result drops those axes (`[]` when all are reduced).
    func sum(_ x: Tensor, axes: [Int]) throws -> Tensor
    /// Mean over `axes`.
    func mean(_ x: Tensor, axes: [Int]) throws -> Tensor

    // MARK: Cell operations (the DARTS family)
    /// Copies channels `[from, from + count)` of `source: [N, C_s, …]` into channels `[at, at + count)`
    /// of `destination: [N, C_d, …]` (same N and trailing dimensions), in place on `destination`.
    /// Concatenation along channels is one copy per input; a channel slice is one copy out.
    func copyChannels(_ source: Tensor, from: Int, into destination: Tensor, at: Int, count: Int) throws
    /// `y[n, j·g + i, …] = x[n, i·(C/g) + j, …]` for `x: [N, C, …]`, `i < g`, `j < C/g`: view the channels
    /// as `[g, C/g]`, transpose, flatten (PC-DARTS' shuffle). `groups: C/g` is its inverse.
    func channelShuffle(_ x: Tensor, groups: Int) throws -> Tensor
    /// `y = Σ_i w[i]·x_i` over `inputs` of one shape, with `weights: [n]` a device tensor (the mixed
    /// operation of a DARTS edge).
    func weightedSum(_ inputs: [Tensor], weights: Tensor) throws -> Tensor
    /// `(∂L/∂x_i = w[i]·dy, ∂L/∂w[i] = Σ dy·x_i)`, the second a `[n]` tensor.
    func weightedSumBackward(_ dy: Tensor, inputs: [Tensor], weights: Tensor) throws -> (inputs: [Tensor], weights: Tensor)
    /// `y[n, c, i, j] = x[n, c, top + i, left + j]` for `i < height`, `j < width` (`x: [N, C, H, W]`).
    func cropSpatial(_ x: Tensor, top: Int, left: Int, height: Int, width: Int) throws -> Tensor
    /// `∂L/∂x`: `dy` placed at `(top, left)` in zeros of `inputShape`.
    func cropSpatialBackward(_ dy: Tensor, inputShape: [Int], top: Int, left: Int) throws -> Tensor

    // MARK: Differentiable top-k (DMS)
    /// `c'_i = #{j : c_j ≤ c_i} / N` with ties broken by index, i.e. `(rank_i + 1)/N` for the
    /// ascending stable order; NaN ranks below every number. O(N log N).
    func rankNormalize(_ importance: Tensor) throws -> Tensor
    /// `m_i = sigmoid(λ (c'_i − a))` with `a` a `[1]` tensor; for N = 1, `sigmoid(−λ(0.5 − a))`.
    func softMask(normalized: Tensor, ratio a: Tensor, lambda: Float) throws -> Tensor
    /// `∂L/∂a = Σ_i ∂L/∂m_i · (−λ m_i (1 − m_i))` as a `[1]` tensor.
    func softMaskGradRatio(mask: Tensor, gradMask: Tensor, lambda: Float) throws -> Tensor
    /// `c ← decay·c + (1 − decay)·(m·g)²`, in place on `importance`; skipped entirely when any
    /// new score is non-finite. Returns whether the update was applied.
    @discardableResult
    func taylorImportanceUpdate(_ importance: Tensor, mask: Tensor, gradMask: Tensor, decay: Float) throws -> Bool

    // MARK: Optimizers (in place)
    /// SGD with momentum (PyTorch semantics): `g = grad + wd·p; v = μ·v + g;
    /// p −= lr·(nesterov ? g + μ·v : v)`.
    func sgdStep(_ parameter: Tensor, gradient: Tensor, velocity: Tensor, _ hyper: SGDParameters) throws
    /// Adam/AdamW with bias correction; `step` counts from 1.
    func adamStep(
        _ parameter: Tensor, gradient: Tensor, firstMoment: Tensor, secondMoment: Tensor,
        step: Int, _ hyper: AdamParameters) throws
}
