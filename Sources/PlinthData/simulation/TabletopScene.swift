import Foundation
import PlinthTensor

/// The physical state of a tabletop scene: objects on the table [-1, 1]² and
/// the agent, with the seeded layout, the push contact model and drawing.
///
/// Contact (push mode) treats objects as discs of radius `objectRadius` and is
/// positional, not dynamic: the agent displaces an object it overlaps along
/// their centre line until they touch; an object so moved displaces any object
/// it overlaps the same way (the one farther from the agent gives way); objects
/// are clamped to the table. Passes repeat until nothing overlaps (at most
/// `contactPasses`). Where a wall stops an object, the agent itself is moved
/// back out of it.
struct TabletopScene: Sendable {
    enum Color: String, Sendable, CaseIterable {
        case red, green, blue, yellow

        var rgb: SIMD3<UInt8> {
            switch self {
            case .red: return SIMD3(220, 40, 40)
            case .green: return SIMD3(40, 170, 60)
            case .blue: return SIMD3(40, 80, 220)
            case .yellow: return SIMD3(230, 200, 40)
            }
        }
    }

    /// Shapes by their instruction word: a block is a square.
    enum Shape: String, Sendable, CaseIterable {
        case block, circle, triangle
    }

    /// A table edge, named as in instructions.
    enum Edge: String, Sendable, CaseIterable {
        case left, right, top, bottom

        /// The unit vector pointing at the edge.
        var direction: SIMD2<Float> {
            switch self {
            case .left: return SIMD2(-1, 0)
            case .right: return SIMD2(1, 0)
            case .top: return SIMD2(0, 1)
            case .bottom: return SIMD2(0, -1)
            }
        }

        /// Distance from `p` to this edge of the table.
        func distance(from p: SIMD2<Float>) -> Float {
            TabletopScene.tableHalf - (p * direction).sum()
        }
    }

    struct Object: Sendable, Equatable {
        var color: Color
        var shape: Shape
        var position: SIMD2<Float>

        /// Draws the object: a disc of radius r, or a square or upright
        /// equilateral triangle (centred on its centroid) of the same area.
        func draw(on canvas: inout Canvas) {
            let r = TabletopScene.objectRadius
            switch shape {
            case .circle:
                canvas.fill(circle: position, radius: r, color: color.rgb)
            case .block:
                let h = r * Float.pi.squareRoot() / 2
                canvas.fill(rect: position - h, to: position + h, color: color.rgb)
            case .triangle:
                // Area (3√3/4) R² = π r² for circumradius R.
                let R = r * (4 * Float.pi / (3 * Float(3).squareRoot())).squareRoot()
                let corners = (0..<3).map { k -> SIMD2<Float> in
                    let angle = Float.pi / 2 + Float(k) * 2 * Float.pi / 3
                    return position + R * SIMD2(cos(angle), sin(angle))
                }
                canvas.fill(polygon: corners, color: color.rgb)
            }
        }
    }

    var objects: [Object]
    var agent: SIMD2<Float>

    static let tableHalf: Float = 1
    static let objectRadius: Float = 0.14
    static let agentRadius: Float = 0.07
    /// Objects start uniformly in [-placementHalf, placementHalf]².
    static let placementHalf: Float = 0.75
    static let minObjectSpacing: Float = 0.4
    static let minAgentClearance: Float = 0.3
    static let contactPasses = 8

    /// A seeded layout of three objects that share attributes in pairs: an
    /// anchor (c, s), one of the same colour and another shape (c, s'), one of
    /// the same shape and another colour (c', s), in a random order, so that
    /// naming any one of them takes both its colour and its shape (CLEVR's
    /// hard distractors); the objects are spaced, and the agent clear of them
    /// (rejection sampling).
    static func random(objectCount: Int, rng: RandomGenerator) -> TabletopScene {
        precondition(objectCount == 3, "TabletopScene: layouts hold 3 objects")
        let (colors, kinds) = (Color.allCases.count, Shape.allCases.count)
        let (c, s) = (rng.nextInt(below: colors), rng.nextInt(below: kinds))
        let otherColor = (c + 1 + rng.nextInt(below: colors - 1)) % colors
        let otherShape = (s + 1 + rng.nextInt(below: kinds - 1)) % kinds
        var chosen = [c * kinds + s, c * kinds + otherShape, otherColor * kinds + s]
        chosen = rng.permutation(chosen.count).map { chosen[$0] }
        var objects: [Object] = []
        for k in chosen {
            var p: SIMD2<Float>
            repeat {
                p = uniform(half: placementHalf, rng)
            } while objects.contains { distance($0.position, p) < minObjectSpacing }
            objects.append(Object(color: Color.allCases[k / kinds], shape: Shape.allCases[k % kinds], position: p))
        }
        var agent: SIMD2<Float>
        repeat {
            agent = uniform(half: tableHalf - agentRadius, rng)
        } while objects.contains { distance($0.position, agent) < minAgentClearance }
        return TabletopScene(objects: objects, agent: agent)
    }

    /// Moves the agent by `delta` (clamped to the table) and, when `pushing`,
    /// resolves contacts as described on the type.
    mutating func moveAgent(by delta: SIMD2<Float>, pushing: Bool) {
        agent = Self.clampAgent(agent + delta)
        guard pushing else { return }
        let contact = Self.objectRadius + Self.agentRadius
        for _ in 0..<Self.contactPasses {
            var moved = false
            for i in objects.indices {
                moved = Self.separate(&objects[i].position, from: agent, by: contact) || moved
            }
            for i in objects.indices {
                for j in objects.indices where j > i {
                    // The object farther from the agent gives way.
                    let (near, far) = Self.distance(objects[i].position, agent) <= Self.distance(objects[j].position, agent) ? (i, j) : (j, i)
                    moved = Self.separate(&objects[far].position, from: objects[near].position, by: 2 * Self.objectRadius) || moved
                }
            }
            guard moved else { break }
        }
        for object in objects {
            var a = agent
            if Self.separate(&a, from: object.position, by: contact) { agent = Self.clampAgent(a) }
        }
    }

    /// Moves `p` along the line from `anchor` until it is `gap` away, then
    /// clamps it to the table as an object; returns whether it moved.
    private static func separate(_ p: inout SIMD2<Float>, from anchor: SIMD2<Float>, by gap: Float) -> Bool {
        let d = distance(p, anchor)
        guard d < gap - 1e-6 else { return false }
        let direction = d > 1e-6 ? (p - anchor) / d : SIMD2<Float>(1, 0)
        let old = p
        p = clamp(anchor + gap * direction, half: tableHalf - objectRadius)
        return p != old
    }

    static func clampAgent(_ p: SIMD2<Float>) -> SIMD2<Float> { clamp(p, half: tableHalf - agentRadius) }

    static func clamp(_ p: SIMD2<Float>, half: Float) -> SIMD2<Float> {
        p.clamped(lowerBound: SIMD2(repeating: -half), upperBound: SIMD2(repeating: half))
    }

    /// The action that moves straight from `p` toward `goal` at full speed
    /// (unit length), shortened on the last step so it lands on the goal.
    static func velocity(from p: SIMD2<Float>, to goal: SIMD2<Float>, stepSize: Float) -> [Float] {
        let d = distance(goal, p)
        guard d > 1e-6 else { return [0, 0] }
        let v = (goal - p) / d * min(1, d / stepSize)
        return [v.x, v.y]
    }

    static func distance(_ a: SIMD2<Float>, _ b: SIMD2<Float>) -> Float {
        let d = a - b
        return (d * d).sum().squareRoot()
    }

    private static func uniform(half: Float, _ rng: RandomGenerator) -> SIMD2<Float> {
        let x = rng.nextFloat(), y = rng.nextFloat()
        return SIMD2(-half + 2 * half * x, -half + 2 * half * y)
    }
}
