import OpenCLRuntime
import TensorCore

// Softmax cross-entropy, its gradient, and argmax (Kernels/loss.cl). Labels are downloaded
// (N floats) and validated on the host with the reference backend's check, so both backends
// throw the same error for a label that is not a class id.
extension OpenCLBackend {
    public func softmaxCrossEntropy(logits: Tensor, labels: Tensor) throws -> (loss: Tensor, probabilities: Tensor) {
        let op = "softmaxCrossEntropy"
        let (n, k) = try LossShapes.classification(op, scores: logits.shape, labels: labels.shape)
        try LossShapes.validateLabels(op, try download(labels), classes: k)
        try requireIndexable(logits.count, op)
        let probabilities = try empty([n, k])
        let rowLoss = try empty([n])
        try launch(
            "loss.cl", "softmax_xent_rowwise", global: [n],
            [
                .buffer(buffer(logits)), .buffer(buffer(labels)), .buffer(buffer(probabilities)),
                .buffer(buffer(rowLoss)), .index(k), .index(n),
            ])
        // The mean over rows as a small tree reduction: [N] → [] viewed as [1].
        let loss = try reduceSum(rowLoss, axes: [0], outputShape: [], divisor: Float(n), op: op)
        return (try loss.reshaped([1]), probabilities)
    }

    public func softmaxCrossEntropyBackward(probabilities: Tensor, labels: Tensor, upstream: Float) throws -> Tensor {
        let op = "softmaxCrossEntropyBackward"
        let (n, k) = try LossShapes.classification(
            op, scores: probabilities.shape, labels: labels.shape,
            scoresName: "probabilities")
        try LossShapes.validateLabels(op, try download(labels), classes: k)
        let total = probabilities.count
        try requireIndexable(total, op)
        let dlogits = try empty([n, k])
        try launch(
            "loss.cl", "softmax_xent_backward_elementwise", global: [n * k],
            [
                .buffer(buffer(probabilities)), .buffer(buffer(labels)), .buffer(buffer(dlogits)),
                .float(upstream), .index(k), .index(total),
            ])
        return dlogits
    }

    public func argmax(_ x: Tensor) throws -> Tensor {
        let (n, k) = try LossShapes.rows("argmax", x.shape)
        try requireIndexable(x.count, "argmax")
        let result = try empty([n])
        try launch(
            "loss.cl", "argmax_rowwise", global: [n],
            [.buffer(buffer(x)), .buffer(buffer(result)), .index(k), .index(n)])
        return result
    }
}
