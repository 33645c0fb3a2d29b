import Foundation
import TensorCore

/// What the one training loop (`Training.Trainer`) trains: an image classifier with named,
/// checkpointable state. `Network` (the layer-plan families) and the cell networks of the DARTS
/// family conform.
public protocol TrainableModel: AnyObject {
    var backend: any Backend { get }
    /// The image shape `[C, H, W]` the model reads.
    var inputShape: [Int] { get }
    var classCount: Int { get }
    /// Logits `[N, classes]`; in training mode also any auxiliary logits with their loss weight
    /// (DARTS' auxiliary head: the loss is `CE + w·CE_aux`).
    func classify(_ x: Variable, on tape: Tape) throws -> (logits: Variable, auxiliary: [(logits: Variable, weight: Float)])
    var parameters: [Parameter] { get }
    /// Parameters and buffers by name, for checkpoints.
    var namedState: [(name: String, tensor: Tensor)] { get }
    /// What the model is (an architecture or genotype as JSON), stored in checkpoints and compared on resume.
    func identity() throws -> String
    /// Called before each training epoch (drop-path schedules).
    func willTrainEpoch(_ epoch: Int, of epochs: Int)
}

extension Network: TrainableModel {
    public var inputShape: [Int] { [architecture.input.channels, architecture.input.height, architecture.input.width] }
    public var classCount: Int { architecture.classes }
    public func classify(_ x: Variable, on tape: Tape) throws -> (logits: Variable, auxiliary: [(logits: Variable, weight: Float)]) {
        (try forward(x, on: tape), [])
    }
    public func identity() throws -> String { String(decoding: try architecture.encoded(), as: UTF8.self) }
    public func willTrainEpoch(_ epoch: Int, of epochs: Int) {}
}
