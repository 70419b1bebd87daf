/// Stochastic gradient descent with momentum, Nesterov momentum and L2 weight
/// decay, matching `torch.optim.SGD` (dampening 0):
/// g += wd*p; b = mu*b + g; update = nesterov ? g + mu*b : b; p -= lr*update.
public final class SGD: Optimizer {
    public private(set) var groups: [ParameterGroup]
    public var learningRate: Float
    public let momentum: Float
    public let nesterov: Bool
    public private(set) var stepCount = 0
    private let slots = SlotStore()

    public init(_ groups: [ParameterGroup], learningRate: Float, momentum: Float = 0, nesterov: Bool = false) {
        precondition(!nesterov || momentum > 0, "SGD: Nesterov momentum needs momentum > 0")
        self.groups = groups
        self.learningRate = learningRate
        self.momentum = momentum
        self.nesterov = nesterov
    }

    public convenience init(_ parameters: [Tensor], learningRate: Float, momentum: Float = 0, nesterov: Bool = false,
                            weightDecay: Float = 0) {
        self.init([ParameterGroup(positional: parameters, weightDecay: weightDecay)],
                  learningRate: learningRate, momentum: momentum, nesterov: nesterov)
    }

    public func step() {
        stepCount += 1
        withNoGrad {
            for group in groups {
                let lr = learningRate * group.lrScale
                for (key, p) in group.parameters {
                    guard var g = p.grad else { continue }
                    if group.weightDecay != 0 { g = g + p * group.weightDecay }
                    if momentum != 0 {
                        // PyTorch starts the buffer at the first gradient, not at zero.
                        let fresh = slots.slots["\(key).momentum_buffer"] == nil
                        let buf = slots.slot("\(key).momentum_buffer", like: p)
                        buf.assign(fresh ? g : buf * momentum + g)
                        g = nesterov ? g + buf * momentum : buf
                    }
                    p.addInPlace(g, alpha: -lr)
                }
            }
        }
    }

    public func stateDict() -> [String: Tensor] {
        slots.slots.merging(["step": Tensor(scalar: Float(stepCount))]) { a, _ in a }
    }

    public func load(stateDict: [String: Tensor]) throws {
        guard let step = stateDict["step"] else { throw OptimizerStateError(description: "optimizer state has no 'step'") }
        try slots.load(stateDict, names: groups.flatMap(\.parameters), slotNames: ["momentum_buffer"])
        stepCount = Int(step.item())
    }
}
