/// Shape and label validation shared by both backends' loss operations, so the reference and
/// the device reject the same inputs with the same `TensorError` message.
public enum LossShapes {
    /// Validates `logits: [N, K]` (N, K ≥ 1) and `labels: [N]`; returns `(N, K)`.
    public static func classification(
        _ opName: String, scores: [Int], labels: [Int], scoresName: String = "logits"
    ) throws -> (rows: Int, classes: Int) {
        try require(scores.count == 2, "\(opName): \(scoresName) must be [N, K], got \(scores)")
        try require(scores[0] >= 1 && scores[1] >= 1, "\(opName): \(scoresName) need at least one row and one class, got \(scores)")
        try require(labels == [scores[0]], "\(opName): labels must be [\(scores[0])] for \(scoresName) \(scores), got \(labels)")
        return (scores[0], scores[1])
    }

    /// Throws `TensorError.argument` unless every label is an integer class id in `[0, classes)`.
    /// Both backends download the N labels and run this same check on the host.
    public static func validateLabels(_ opName: String, _ labels: [Float], classes: Int) throws {
        for (row, label) in labels.enumerated() {
            guard label.isFinite, label == label.rounded(), label >= 0, label < Float(classes) else {
                throw TensorError.argument("\(opName): label \(label) of row \(row) is not a class id in [0, \(classes))")
            }
        }
    }

    /// Validates `x: [N, K]` with K ≥ 1 for a per-row argmax; returns `(N, K)`.
    public static func rows(_ opName: String, _ x: [Int]) throws -> (rows: Int, columns: Int) {
        try require(x.count == 2, "\(opName): input must be [N, K], got \(x)")
        try require(x[0] >= 0 && x[1] >= 1, "\(opName): input needs at least one column, got \(x)")
        return (x[0], x[1])
    }
}
