import TensorCore

/// Updates parameters in place from their gradients, keeping per-parameter state on the
/// backend. State is saved in checkpoints by parameter name.
public protocol Optimizer: AnyObject {
    /// Current learning rate (set by a schedule before each step).
    var learningRate: Float { get set }
    /// Applies one step to every parameter that has a gradient.
    func step(_ gradients: [(Parameter, Tensor)]) throws
    /// Named state tensors for checkpoints (`<parameter>.momentum`, …) and scalar counters.
    var state: [(name: String, tensor: Tensor)] { get }
    var stepCount: Int { get set }
}

/// SGD with momentum, optional Nesterov and L2 weight decay (PyTorch semantics):
/// `g = ∇ + wd·p; v = μ·v + g; p −= lr·(nesterov ? g + μ·v : v)`.
public final class SGD: Optimizer {
    public var learningRate: Float
    public let momentum: Float
    public let weightDecay: Float
    public let nesterov: Bool
    public var stepCount = 0
    let backend: any Backend
    private var velocity: [ObjectIdentifier: (Parameter, Tensor)] = [:]

    public init(
        parameters: [Parameter], learningRate: Float, momentum: Float = 0.9, weightDecay: Float = 5e-4,
        nesterov: Bool = false, backend: any Backend
    ) throws {
        self.learningRate = learningRate; self.momentum = momentum; self.weightDecay = weightDecay
        self.nesterov = nesterov; self.backend = backend
        for p in parameters { velocity[ObjectIdentifier(p)] = (p, try backend.zeros(p.shape)) }
    }

    public func step(_ gradients: [(Parameter, Tensor)]) throws {
        stepCount += 1
        let hyper = SGDParameters(learningRate: learningRate, momentum: momentum, weightDecay: weightDecay, nesterov: nesterov)
        for (parameter, gradient) in gradients {
            guard let (_, v) = velocity[ObjectIdentifier(parameter)] else {
                throw TensorError.argument("SGD: parameter \(parameter.name) was not registered with this optimizer")
            }
            try backend.sgdStep(parameter.value, gradient: gradient, velocity: v, hyper)
        }
    }

    /// The momentum buffer `v` of `parameter` (zeros before the first step).
    public func velocity(of parameter: Parameter) -> Tensor? { velocity[ObjectIdentifier(parameter)]?.1 }

    public var state: [(name: String, tensor: Tensor)] {
        velocity.values.map { (name: "\($0.0.name).momentum", tensor: $0.1) }.sorted { $0.name < $1.name }
    }
}

/// Adam with bias correction; AdamW when `decoupledWeightDecay` (the default).
public final class Adam: Optimizer {
    public var learningRate: Float
    public let beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float
    public let decoupledWeightDecay: Bool
    public var stepCount = 0
    let backend: any Backend
    private var moments: [ObjectIdentifier: (Parameter, Tensor, Tensor)] = [:]

    public init(
        parameters: [Parameter], learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
        weightDecay: Float = 0, decoupledWeightDecay: Bool = true, backend: any Backend
    ) throws {
        self.learningRate = learningRate; self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon
        self.weightDecay = weightDecay; self.decoupledWeightDecay = decoupledWeightDecay; self.backend = backend
        for p in parameters { moments[ObjectIdentifier(p)] = (p, try backend.zeros(p.shape), try backend.zeros(p.shape)) }
    }

    public func step(_ gradients: [(Parameter, Tensor)]) throws {
        stepCount += 1
        let hyper = AdamParameters(
            learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
            weightDecay: weightDecay, decoupledWeightDecay: decoupledWeightDecay)
        for (parameter, gradient) in gradients {
            guard let (_, m, v) = moments[ObjectIdentifier(parameter)] else {
                throw TensorError.argument("Adam: parameter \(parameter.name) was not registered with this optimizer")
            }
            try backend.adamStep(parameter.value, gradient: gradient, firstMoment: m, secondMoment: v, step: stepCount, hyper)
        }
    }

    public var state: [(name: String, tensor: Tensor)] {
        moments.values.flatMap { [(name: "\($0.0.name).exp_avg", tensor: $0.1), (name: "\($0.0.name).exp_avg_sq", tensor: $0.2)] }
            .sorted { $0.name < $1.name }
    }
}
