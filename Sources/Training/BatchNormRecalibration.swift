import Datasets
import NN
import TensorCore

/// Re-estimates the running statistics of every batch norm of a network from training images,
/// as PyTorch's `torch.optim.swa_utils.update_bn` does: forward passes in training mode with
/// momentum 1/b at batch b, so after B batches
///
///     running_mean = (1/B) Σ_b μ_b,   running_var = (1/B) Σ_b σ²_b · n/(n − 1)
///
/// (μ_b, σ²_b: the batch's per-channel mean and variance over its n = N·H·W values). Nothing
/// else changes: the weights are untouched and each batch norm's momentum is restored.
///
/// Why: the running statistics of a pruned or masked network were gathered for another network —
/// DMS' p- pipeline exports a pruned supernet whose batch norms saw the soft-masked channels — so
/// evaluating it with them measures the stale statistics, not the architecture.
public enum BatchNormRecalibration {
    /// Runs up to `maximumImages` images of `loader` (its epoch-0 order, whole batches as they come)
    /// through `network` and returns the number of images used (0 when it has no batch norm).
    @discardableResult
    public static func recalibrate(_ network: Network, loader: BatchLoader, maximumImages: Int) throws -> Int {
        let norms = network.batchNorms
        guard !norms.isEmpty, maximumImages > 0 else { return 0 }
        let momenta = norms.map(\.momentum)
        defer { for (norm, momentum) in zip(norms, momenta) { norm.momentum = momentum } }
        var images = 0, batches = 0
        for batch in loader.batches(epoch: 0) {
            batches += 1
            for norm in norms { norm.momentum = 1 / Float(batches) }
            let tape = Tape(backend: network.backend, training: true)
            _ = try network.forward(tape.constant(try network.backend.upload(batch.images, shape: batch.shape)), on: tape)
            images += batch.count
            if images >= maximumImages { break }
        }
        return images
    }
}
