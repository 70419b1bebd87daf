import Foundation
import PlinthTensor

/// Two tabletop tasks on one scene: "reach" (move the agent onto the named
/// object) and "push" (push the named object to the named table edge).
///
/// The table is the square [-1, 1]² (y up), filling the whole image. It holds
/// three objects from {red, green, blue, yellow} x {block, circle, triangle}:
/// an anchor, one of its colour and one of its shape (see `TabletopScene.random`),
/// so an instruction is only followed by reading both words. Objects have size r = 0.14 (circle
/// radius; squares and triangles of equal area) and start uniformly in
/// [-0.75, 0.75]² with centres at least 0.4 apart. The agent is a point mass
/// drawn as a dark disc of radius 0.07 that starts at least 0.3 from every
/// object.
///
/// - Action: velocity (dx, dy) in [-1, 1]²; the agent moves 0.08 * action per
///   step, clamped so its disc stays on the table.
/// - State: [agent x, agent y].
/// - reach: the agent passes over objects. Success when its centre is within
///   0.1 of the target's centre. 50 steps.
/// - push: the agent pushes objects it overlaps (objects are discs of radius r
///   for contact). Success when the target's centre is within 0.2 of the named
///   edge (left: x <= -0.8). The edge is drawn among those at least 0.45 from
///   the target's start. 80 steps.
///
/// Episodes end on success or at the step limit (`failed` is never set).
/// Variant k (0..<3) makes object k the target; in push mode its edge comes
/// from the same seeded draw, picked among the edges valid for that object.
public final class TabletopTask: ControlTask {
    public enum Mode: String, Sendable, CaseIterable {
        case reach, push
    }

    public let mode: Mode
    public let imageSize: Int
    public let spec: TaskSpec
    public var variantCount: Int { Self.objectCount }
    /// The target object's index.
    public var variant: Int { target }
    public private(set) var steps = 0

    /// The scene, the target object's index in it, and (push) the goal edge.
    private(set) var scene = TabletopScene(objects: [], agent: .zero)
    private(set) var target = 0
    private(set) var edge = TabletopScene.Edge.left
    private(set) var instruction = ""
    private var canvas: Canvas
    private var started = false
    private var finished = false

    static let objectCount = 3
    static let stepSize: Float = 0.08
    static let reachTolerance: Float = 0.1
    /// How close to its edge a pushed object's centre must get.
    static let edgeZone: Float = 0.2
    /// How far from the goal edge the target starts, so pushing is needed.
    static let minEdgeDistance: Float = 0.45

    static let reachTemplates: [Phrasing: [String]] = [
        .training: ["reach the {object}", "move to the {object}", "touch the {object}"],
        .heldOut: ["go to the {object}"],
    ]
    static let pushTemplates: [Phrasing: [String]] = [
        .training: ["push the {object} to the {edge} edge"],
        .heldOut: ["move the {object} to the {edge} edge"],
    ]

    static let tableColor = SIMD3<UInt8>(228, 222, 208)
    static let agentColor = SIMD3<UInt8>(50, 50, 50)

    /// A task rendering `imageSize` x `imageSize` frames (bounded by `ControlTasks.imageSizes`).
    public init(mode: Mode, imageSize: Int) {
        precondition(ControlTasks.imageSizes.contains(imageSize), "TabletopTask: image size \(imageSize) out of range")
        (self.mode, self.imageSize) = (mode, imageSize)
        spec = TaskSpec(name: mode.rawValue, stateDimension: 2, actionDimension: 2,
                        maxSteps: mode == .reach ? 50 : 80, actionLow: [-1, -1], actionHigh: [1, 1])
        canvas = Canvas(width: imageSize, height: imageSize, x: -1...1, y: -1...1, background: Self.tableColor)
    }

    public func reset(seed: UInt64, variant: Int?, phrasing: Phrasing) -> Observation {
        precondition(variant.map { (0..<variantCount).contains($0) } ?? true,
                     "\(spec.name): variant \(variant!) outside 0..<\(variantCount)")
        let rng = RandomGenerator(seed: seed)
        scene = TabletopScene.random(objectCount: Self.objectCount, rng: rng)
        // Every draw happens whatever the variant, so overriding it keeps the layout.
        let drawnTarget = rng.nextInt(below: Self.objectCount)
        let edgeDraw = rng.next(), templateDraw = rng.next()
        target = variant ?? drawnTarget
        let object = scene.objects[target]
        let edges = TabletopScene.Edge.allCases.filter { $0.distance(from: object.position) >= Self.minEdgeDistance }
        edge = edges[Int(edgeDraw % UInt64(edges.count))]
        let templates = (mode == .reach ? Self.reachTemplates : Self.pushTemplates)[phrasing]!
        instruction = templates[Int(templateDraw % UInt64(templates.count))]
            .replacingOccurrences(of: "{object}", with: "\(object.color.rawValue) \(object.shape.rawValue)")
            .replacingOccurrences(of: "{edge}", with: edge.rawValue)
        (steps, started, finished) = (0, true, false)
        return observation()
    }

    public func step(_ action: [Float]) -> Transition {
        precondition(started, "\(spec.name): step before reset")
        precondition(!finished, "\(spec.name): step after the episode ended; call reset")
        let a = spec.clip(action)
        scene.moveAgent(by: Self.stepSize * SIMD2(a[0], a[1]), pushing: mode == .push)
        steps += 1
        let success = isSuccess
        finished = success || steps >= spec.maxSteps
        return Transition(observation: observation(), success: success, failed: false, done: finished)
    }

    /// Whether the instruction holds in the current scene.
    var isSuccess: Bool {
        let p = scene.objects[target].position
        switch mode {
        case .reach: return TabletopScene.distance(scene.agent, p) <= Self.reachTolerance
        case .push: return edge.distance(from: p) <= Self.edgeZone
        }
    }

    public func expertAction() -> [Float] {
        precondition(started, "\(spec.name): expertAction before reset")
        let goal: SIMD2<Float>
        switch mode {
        case .reach: goal = scene.objects[target].position
        case .push: return TabletopPushExpert.action(scene: scene, target: target, edge: edge)
        }
        return TabletopScene.velocity(from: scene.agent, to: goal, stepSize: Self.stepSize)
    }

    public func observation() -> Observation {
        Observation(image: render(), state: [scene.agent.x, scene.agent.y], instruction: instruction)
    }

    /// The table, the objects in their colours, and the agent on top.
    func render() -> RGBImage {
        canvas.clear(Self.tableColor)
        for object in scene.objects { object.draw(on: &canvas) }
        canvas.fill(circle: scene.agent, radius: TabletopScene.agentRadius, color: Self.agentColor)
        return canvas.image
    }
}
