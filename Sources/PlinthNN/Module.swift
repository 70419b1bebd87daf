@_exported import PlinthTensor

/// One entry of a module's state: a parameter, a buffer, a child or a list of
/// children (numbered `key.0`, `key.1`, ...).
public enum ModuleItem {
    case parameter(Tensor)
    case buffer(Tensor)
    case module(any Module)
    case modules([any Module])
}

/// A layer or model: a class that lists its parameters, buffers and children
/// under explicit string keys, in the order PyTorch's reference registers them.
///
/// Keys follow the reference implementation verbatim (`in_proj_weight`,
/// `resblocks.0.ln_1.weight`), so state dicts map one to one.
public protocol Module: AnyObject {
    /// Parameters, buffers and children under their keys, in registration order.
    var items: [(String, ModuleItem)] { get }
    /// Training mode (dropout active); change it with `train()` / `eval()`.
    var isTraining: Bool { get set }
}

extension Module {
    /// Every parameter under its dotted key, depth first in registration order.
    public func namedParameters() -> [(String, Tensor)] {
        var out: [(String, Tensor)] = []
        visit(prefix: "") { key, item in if case .parameter(let t) = item { out.append((key, t)) } }
        return out
    }

    public func parameters() -> [Tensor] { namedParameters().map(\.1) }

    /// Parameters that currently take gradients.
    public func trainableParameters() -> [Tensor] { parameters().filter(\.requiresGrad) }

    /// Parameters and buffers under their dotted keys.
    public func namedTensors() -> [(String, Tensor)] {
        var out: [(String, Tensor)] = []
        visit(prefix: "") { key, item in
            switch item {
            case .parameter(let t), .buffer(let t): out.append((key, t))
            default: break
            }
        }
        return out
    }

    /// Total number of parameter elements.
    public var parameterCount: Int { parameters().reduce(0) { $0 + $1.count } }

    /// Visits parameters and buffers (not containers) with their full keys.
    private func visit(prefix: String, _ body: (String, ModuleItem) -> Void) {
        for (key, item) in items {
            let full = prefix.isEmpty ? key : "\(prefix).\(key)"
            switch item {
            case .parameter, .buffer: body(full, item)
            case .module(let m): m.visit(prefix: full, body)
            case .modules(let ms): for (i, m) in ms.enumerated() { m.visit(prefix: "\(full).\(i)", body) }
            }
        }
    }

    /// This module and every descendant.
    public func modules() -> [any Module] { namedModules().map(\.1) }

    /// This module (key "") and every descendant under its dotted key
    /// (`transformer.resblocks.0.attn`), depth first in registration order.
    public func namedModules() -> [(String, any Module)] {
        var out: [(String, any Module)] = [("", self)]
        for (key, item) in items {
            let children: [(String, any Module)]
            switch item {
            case .module(let m): children = [(key, m)]
            case .modules(let ms): children = ms.enumerated().map { ("\(key).\($0.offset)", $0.element) }
            default: children = []
            }
            for (childKey, child) in children {
                out += child.namedModules().map { ($0.0.isEmpty ? childKey : "\(childKey).\($0.0)", $0.1) }
            }
        }
        return out
    }

    /// Sets training mode on this module and all descendants.
    public func train(_ on: Bool = true) { for m in modules() { m.isTraining = on } }
    public func eval() { train(false) }

    /// Stops (or restarts) gradients for every parameter.
    public func freeze(_ frozen: Bool = true) { for p in parameters() { p.requiresGrad = !frozen } }

    public func zeroGrad() { for p in parameters() { p.grad = nil } }
}

/// A module with no state of its own, such as an activation.
public protocol StatelessModule: Module {}
extension StatelessModule {
    public var items: [(String, ModuleItem)] { [] }
}
