import Foundation
import PlinthTensor

/// Cart-pole with a language target: "balance the pole on the left side"
/// (cart at x = -1), "in the middle" (x = 0) or "on the right side" (x = 1).
///
/// Dynamics are gymnasium's CartPole-v1 exactly (Barto, Sutton & Anderson 1983
/// as corrected by Florian 2005): gravity 9.8, cart mass 1.0, pole mass 0.1,
/// pole half-length 0.5, tau 0.02 s, explicit Euler, in Double like numpy. The
/// action is continuous, a in [-1, 1], force = 10 a (gymnasium's discrete
/// actions 0 and 1 are a = -1 and +1).
///
/// - State: [x, x_dot, theta, theta_dot] (theta in radians, 0 upright,
///   positive leaning toward +x); starts uniform in [-0.05, 0.05]⁴.
/// - Failure (ends the episode): |theta| > 12° or |x| > 2.4.
/// - Success: 200 steps without failure and |x - target| < 0.3 at the end.
/// - Image: track, cart and pole over x in [-2.4, 2.4]; the target is not
///   drawn (only the instruction carries it).
public final class CartPoleTask: ControlTask {
    public let imageSize: Int
    public let spec: TaskSpec
    public var variantCount: Int { Self.targets.count }
    /// The target's index: 0 left, 1 middle, 2 right.
    public var variant: Int { target }
    public private(set) var steps = 0

    /// [x, x_dot, theta, theta_dot], in Double as gymnasium integrates.
    private(set) var state = SIMD4<Double>.zero
    private(set) var target = 0
    private(set) var instruction = ""
    private var canvas: Canvas
    private var started = false
    private var finished = false

    static let gravity = 9.8
    static let massCart = 1.0
    static let massPole = 0.1
    static let totalMass = massPole + massCart
    /// Half the pole's length.
    static let length = 0.5
    static let poleMassLength = massPole * length
    static let forceMag = 10.0
    static let tau = 0.02
    static let thetaThreshold = 12 * 2 * Double.pi / 360
    static let xThreshold = 2.4

    static let targets: [(name: String, x: Double, place: String)] = [
        ("left", -1, "on the left side"), ("middle", 0, "in the middle"), ("right", 1, "on the right side"),
    ]
    static let targetTolerance = 0.3
    static let templates: [Phrasing: [String]] = [
        .training: ["balance the pole {place}", "keep the pole upright {place}"],
        .heldOut: ["hold the pole up {place}"],
    ]

    /// Expert gains: a = clip(K · (state - [target, 0, 0, 0]), -1, 1). Discrete
    /// LQR (scipy.linalg.solve_discrete_are) on the Euler step linearized at
    /// the upright state, with a as the input, Q = diag(1, 1, 10, 1), R = 1; in
    /// a numpy rollout of these dynamics it kept |theta| under 6.3° and ended
    /// within 0.05 of every target over 600 episodes.
    static let gains = SIMD4<Double>(0.78522292, 1.38316875, 9.03345843, 2.38872024)

    static let background = SIMD3<UInt8>(245, 245, 245)
    static let trackColor = SIMD3<UInt8>(0, 0, 0)
    static let cartColor = SIMD3<UInt8>(50, 50, 50)
    static let poleColor = SIMD3<UInt8>(202, 152, 101)
    static let axleColor = SIMD3<UInt8>(129, 132, 203)
    static let cartSize = SIMD2<Float>(0.5, 0.3)
    static let poleWidth: Float = 0.1

    /// A task rendering `imageSize` x `imageSize` frames (bounded by `ControlTasks.imageSizes`).
    public init(imageSize: Int) {
        precondition(ControlTasks.imageSizes.contains(imageSize), "CartPoleTask: image size \(imageSize) out of range")
        self.imageSize = imageSize
        spec = TaskSpec(name: "cartpole", stateDimension: 4, actionDimension: 1, maxSteps: 200,
                        actionLow: [-1], actionHigh: [1])
        // Square view: x over the track, y from below the track to above the pole.
        canvas = Canvas(width: imageSize, height: imageSize, x: -2.4...2.4, y: -1.8...3.0, background: Self.background)
    }

    public func reset(seed: UInt64, variant: Int?, phrasing: Phrasing) -> Observation {
        precondition(variant.map { (0..<variantCount).contains($0) } ?? true,
                     "cartpole: variant \(variant!) outside 0..<\(variantCount)")
        let rng = RandomGenerator(seed: seed)
        state = SIMD4((0..<4).map { _ in -0.05 + 0.1 * Double(rng.nextFloat()) })
        let drawnTarget = rng.nextInt(below: Self.targets.count), templateDraw = rng.next()
        target = variant ?? drawnTarget
        let templates = Self.templates[phrasing]!
        instruction = templates[Int(templateDraw % UInt64(templates.count))]
            .replacingOccurrences(of: "{place}", with: Self.targets[target].place)
        (steps, started, finished) = (0, true, false)
        return observation()
    }

    /// Sets the physical state directly (golden-fixture replay); the episode
    /// restarts at step 0 with the current instruction.
    func setState(_ newState: SIMD4<Double>) {
        precondition(started, "cartpole: setState before reset")
        (state, steps, finished) = (newState, 0, false)
    }

    public func step(_ action: [Float]) -> Transition {
        precondition(started, "cartpole: step before reset")
        precondition(!finished, "cartpole: step after the episode ended; call reset")
        let failed = advance(force: Self.forceMag * Double(spec.clip(action)[0]))
        steps += 1
        let atLimit = steps >= spec.maxSteps
        let success = atLimit && !failed && abs(state[0] - Self.targets[target].x) < Self.targetTolerance
        finished = failed || atLimit
        return Transition(observation: observation(), success: success, failed: failed, done: finished)
    }

    /// One Euler step of gymnasium's CartPole-v1 under `force`; returns its `terminated`.
    func advance(force: Double) -> Bool {
        let (x, xDot, theta, thetaDot) = (state[0], state[1], state[2], state[3])
        let cosTheta = cos(theta), sinTheta = sin(theta)
        let temp = (force + Self.poleMassLength * thetaDot * thetaDot * sinTheta) / Self.totalMass
        let thetaAcc = (Self.gravity * sinTheta - cosTheta * temp)
            / (Self.length * (4.0 / 3.0 - Self.massPole * cosTheta * cosTheta / Self.totalMass))
        let xAcc = temp - Self.poleMassLength * thetaAcc * cosTheta / Self.totalMass
        state = SIMD4(x + Self.tau * xDot, xDot + Self.tau * xAcc, theta + Self.tau * thetaDot, thetaDot + Self.tau * thetaAcc)
        return state[0] < -Self.xThreshold || state[0] > Self.xThreshold
            || state[2] < -Self.thetaThreshold || state[2] > Self.thetaThreshold
    }

    public func expertAction() -> [Float] {
        precondition(started, "cartpole: expertAction before reset")
        let error = state - SIMD4(Self.targets[target].x, 0, 0, 0)
        return [Float(min(max((Self.gains * error).sum(), -1), 1))]
    }

    public func observation() -> Observation {
        Observation(image: render(), state: [Float(state[0]), Float(state[1]), Float(state[2]), Float(state[3])],
                    instruction: instruction)
    }

    /// Track line, cart, and the pole as a rotated bar from the top of the cart.
    func render() -> RGBImage {
        canvas.clear(Self.background)
        canvas.fill(rect: SIMD2(-2.4, -0.03), to: SIMD2(2.4, 0.03), color: Self.trackColor)
        let x = Float(state[0]), theta = Float(state[2])
        let half = Self.cartSize / 2
        canvas.fill(rect: SIMD2(x - half.x, 0), to: SIMD2(x + half.x, Self.cartSize.y), color: Self.cartColor)
        let pivot = SIMD2<Float>(x, Self.cartSize.y)
        let along = SIMD2<Float>(sin(theta), cos(theta)), across = SIMD2<Float>(cos(theta), -sin(theta))
        let tip = pivot + 2 * Float(Self.length) * along, w = Self.poleWidth / 2 * across
        canvas.fill(polygon: [pivot - w, pivot + w, tip + w, tip - w], color: Self.poleColor)
        canvas.fill(circle: pivot, radius: Self.poleWidth / 2, color: Self.axleColor)
        return canvas.image
    }
}
