/// What a control task is: its name, state and action widths, episode length
/// and action bounds (per action dimension; `step` clips to them).
public struct TaskSpec: Sendable {
    public let name: String
    public let stateDimension: Int
    public let actionDimension: Int
    public let maxSteps: Int
    public let actionLow: [Float]
    public let actionHigh: [Float]

    public init(name: String, stateDimension: Int, actionDimension: Int, maxSteps: Int,
                actionLow: [Float], actionHigh: [Float]) {
        precondition(actionLow.count == actionDimension && actionHigh.count == actionDimension,
                     "TaskSpec \(name): \(actionLow.count)/\(actionHigh.count) bounds for \(actionDimension) actions")
        (self.name, self.stateDimension, self.actionDimension) = (name, stateDimension, actionDimension)
        (self.maxSteps, self.actionLow, self.actionHigh) = (maxSteps, actionLow, actionHigh)
    }

    /// `action` clipped to the bounds; NaN becomes 0 (then clipped), so a bad
    /// policy output cannot poison the simulation. Traps on a wrong length.
    public func clip(_ action: [Float]) -> [Float] {
        precondition(action.count == actionDimension,
                     "\(name): action has \(action.count) values, expected \(actionDimension)")
        return action.indices.map { i in
            let a = action[i].isNaN ? 0 : action[i]
            return Swift.min(Swift.max(a, actionLow[i]), actionHigh[i])
        }
    }
}

/// Which instruction templates an episode draws from: `training` (several
/// templates per task) or `heldOut` (templates never used for training, to
/// test generalization to new phrasings).
public enum Phrasing: String, Sendable, CaseIterable {
    case training
    case heldOut = "held_out"
}

/// What a policy sees at one step: the camera frame, proprioception and the
/// language instruction of the episode.
public struct Observation: Sendable {
    /// The scene rendered at the task's image size.
    public var image: RGBImage
    /// [spec.stateDimension].
    public var state: [Float]
    public var instruction: String

    public init(image: RGBImage, state: [Float], instruction: String) {
        (self.image, self.state, self.instruction) = (image, state, instruction)
    }
}

/// The outcome of one `step`.
public struct Transition: Sendable {
    /// The observation after the action.
    public var observation: Observation
    /// The instruction was accomplished (tabletop: on the step it happens;
    /// cart-pole: at the step limit).
    public var success: Bool
    /// A terminal failure (cart-pole: the pole fell or the cart left the
    /// track). The tabletop tasks have none: they simply run out of steps.
    public var failed: Bool
    /// The episode is over: success, failure or the step limit.
    public var done: Bool

    public init(observation: Observation, success: Bool, failed: Bool, done: Bool) {
        (self.observation, self.success, self.failed, self.done) = (observation, success, failed, done)
    }
}

/// A language-conditioned control task with a camera, a scripted expert and a
/// success test: the environments behind `plinth demos` and policy evaluation.
///
/// Episodes are deterministic: the same seed, variant and phrasing give the
/// same observations for the same actions. A task object holds one episode at
/// a time and is not thread-safe; use one per thread.
public protocol ControlTask: AnyObject {
    var spec: TaskSpec { get }
    /// Instructions one layout can take (tabletop: one per object; cart-pole:
    /// one per target position).
    var variantCount: Int { get }
    /// Starts an episode, deterministic for `seed`: layout/initial state and
    /// instruction variant from the seed; `variant` (0..<variantCount)
    /// overrides the drawn instruction target while keeping the same layout,
    /// `phrasing` picks the template set.
    func reset(seed: UInt64, variant: Int?, phrasing: Phrasing) -> Observation
    /// The instruction variant of the current episode (drawn or overridden), in 0..<variantCount.
    var variant: Int { get }
    /// Clips `action` to the bounds, advances one step. done = success
    /// (tabletop ends on success) or failure or step limit. Stepping a
    /// finished episode, or before the first `reset`, traps.
    func step(_ action: [Float]) -> Transition
    /// The scripted expert's action for the current state (deterministic, noise-free).
    func expertAction() -> [Float]
    /// The current observation (rendered afresh).
    func observation() -> Observation
    /// Steps taken since the last `reset`.
    var steps: Int { get }
}

extension ControlTask {
    /// `reset` with the drawn variant and the training phrasing.
    public func reset(seed: UInt64) -> Observation {
        reset(seed: seed, variant: nil, phrasing: .training)
    }
}

/// The registry of control tasks by name.
public enum ControlTasks {
    public static let names = ["reach", "push", "cartpole"]
    /// Image sizes `make` accepts (pixels per side).
    public static let imageSizes = 8...1024

    /// A fresh task named `name`, rendering `imageSize` x `imageSize` frames.
    /// Throws a `DataError` for an unknown name (listing the known ones) or an
    /// image size outside `imageSizes`.
    public static func make(_ name: String, imageSize: Int) throws -> any ControlTask {
        guard imageSizes.contains(imageSize) else {
            throw DataError(.invalidArgument, source: "ControlTasks.make", field: "image_size",
                            "\(imageSize) is outside \(imageSizes.lowerBound)...\(imageSizes.upperBound)")
        }
        switch name {
        case "reach": return TabletopTask(mode: .reach, imageSize: imageSize)
        case "push": return TabletopTask(mode: .push, imageSize: imageSize)
        case "cartpole": return CartPoleTask(imageSize: imageSize)
        default:
            throw DataError(.invalidArgument, source: "ControlTasks.make", field: "task",
                            "unknown task '\(name)'; expected one of \(names.joined(separator: ", "))")
        }
    }
}
