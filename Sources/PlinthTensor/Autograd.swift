import Foundation

/// A recorded operation: its inputs and a closure from the output's gradient to
/// the gradients of the inputs (nil for inputs that take none).
final class Node {
    var inputs: [Tensor]
    var backward: ((Tensor) -> [Tensor?])?
    let name: String

    init(_ name: String, _ inputs: [Tensor], _ backward: @escaping (Tensor) -> [Tensor?]) {
        self.name = name
        self.inputs = inputs
        self.backward = backward
    }
}

/// Autograd switches. Recording is on by default and off inside `withNoGrad`.
public enum Autograd {
    @TaskLocal static var recording = true

    /// Whether operations are currently recorded.
    public static var isEnabled: Bool { recording }

    /// Called by `backward()` on each leaf right after the pass has added its
    /// last contribution to the leaf's `grad` (once per leaf per pass).
    @TaskLocal static var leafHook: LeafHook?

    final class LeafHook: @unchecked Sendable {
        let call: (Tensor) -> Void
        init(_ call: @escaping (Tensor) -> Void) { self.call = call }
    }

    /// Runs `body` with `hook` called on every leaf whose gradient a `backward()`
    /// inside it has finished: the point where a data-parallel trainer can start
    /// reducing that gradient while the pass goes on.
    public static func withLeafGradientHook<R>(_ hook: @escaping (Tensor) -> Void, _ body: () throws -> R) rethrows -> R {
        try $leafHook.withValue(LeafHook(hook), operation: body)
    }
}

/// Runs `body` without recording operations (inference, optimizer updates).
public func withNoGrad<R>(_ body: () throws -> R) rethrows -> R {
    try Autograd.$recording.withValue(false, operation: body)
}

extension Tensor {
    /// Attaches a backward closure to `out` when recording is on and any input
    /// requires a gradient. Returns `out`.
    @discardableResult
    func recorded(_ name: String, _ inputs: [Tensor], _ backward: @escaping (Tensor) -> [Tensor?]) -> Tensor {
        guard Autograd.recording, inputs.contains(where: { $0.requiresGrad }) else { return self }
        requiresGrad = true
        node = Node(name, inputs, backward)
        return self
    }

    /// A tensor sharing this storage that is cut off from the graph.
    public func detach() -> Tensor {
        Tensor(storage: storage, shape: shape, strides: strides, offset: offset)
    }

    /// Back-propagates from this tensor: every leaf with `requiresGrad` reached
    /// through the graph gets d(self)/d(leaf), added to its `grad`.
    ///
    /// - Parameters:
    ///   - gradient: the upstream gradient, shaped like `self`; defaults to ones
    ///     (so a scalar loss needs none).
    ///   - retainGraph: keep the recorded graph for another backward pass.
    ///     By default each node's closure and saved tensors are released.
    public func backward(_ gradient: Tensor? = nil, retainGraph: Bool = false) {
        precondition(requiresGrad, "backward(): tensor of shape \(shape) does not require grad")
        if let g = gradient {
            precondition(g.shape == shape, "backward(): gradient shape \(g.shape) != tensor shape \(shape)")
        }
        let order = topologicalOrder()
        let hook = Autograd.leafHook
        var grads: [ObjectIdentifier: Tensor] = [ObjectIdentifier(self): gradient?.contiguousData() ?? .ones(shape)]
        withNoGrad {
            for t in order.reversed() {
                guard let g = grads.removeValue(forKey: ObjectIdentifier(t)) else { continue }
                guard let node = t.node else {
                    t.accumulateGrad(g)
                    hook?.call(t)
                    continue
                }
                guard let backward = node.backward else {
                    preconditionFailure("backward(): the graph through '\(node.name)' was already freed; pass retainGraph: true to the first backward")
                }
                let inputGrads = backward(g)
                for (input, ig) in zip(node.inputs, inputGrads) {
                    guard let ig, input.requiresGrad else { continue }
                    precondition(ig.shape == input.shape,
                                 "backward of '\(node.name)': gradient \(ig.shape) for input \(input.shape)")
                    let key = ObjectIdentifier(input)
                    grads[key] = grads[key].map { $0 + ig } ?? ig
                }
                if !retainGraph {
                    node.backward = nil
                    node.inputs = []
                }
            }
        }
    }

    private func accumulateGrad(_ g: Tensor) {
        // Gradients may be shared between inputs (add returns one tensor twice),
        // so a leaf always owns a private copy it can accumulate into in place.
        if let existing = grad {
            existing.addInPlace(g)
        } else {
            grad = g.copy()
        }
    }

    /// Tensors reachable from self through recorded nodes, inputs before users.
    private func topologicalOrder() -> [Tensor] {
        var order: [Tensor] = []
        var visited: Set<ObjectIdentifier> = []
        var stack: [(Tensor, Bool)] = [(self, false)]
        while let (t, expanded) = stack.popLast() {
            if expanded { order.append(t); continue }
            guard visited.insert(ObjectIdentifier(t)).inserted else { continue }
            stack.append((t, true))
            for input in t.node?.inputs ?? [] where input.requiresGrad && !visited.contains(ObjectIdentifier(input)) {
                stack.append((input, false))
            }
        }
        return order
    }

    /// Clears the accumulated gradient.
    public func zeroGrad() { grad = nil }
}
