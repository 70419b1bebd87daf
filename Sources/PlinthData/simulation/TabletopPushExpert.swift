/// The scripted expert of the push task, a function of the scene alone.
///
/// In the frame of the push, with d the unit vector toward the goal edge and n
/// perpendicular to it, the agent sits at s = (agent - object)·d along the push
/// and l = (agent - object)·n across it. The expert:
/// 1. pushes when it is behind the object and nearly in line (s <= -0.15,
///    |l| <= 0.08), heading along d while steering l back to 0;
/// 2. otherwise, once fully behind (no further forward than the standoff
///    point b = object - 0.24 d, clamped to the table), heads for b;
/// 3. otherwise, clear of the object's corridor (|l| >= 0.24), backs up along
///    -d to level with b;
/// 4. otherwise (beside or ahead of the object) steps sideways out of the
///    corridor first, toward the side it is on (the other if that leaves the
///    table).
/// Waypoints are chosen so the agent does not touch the object on the way;
/// other objects are ignored.
enum TabletopPushExpert {
    /// Behind-the-object standoff: object radius + agent radius + 0.03.
    static let standoff: Float = TabletopScene.objectRadius + TabletopScene.agentRadius + 0.03
    /// Lateral offset that clears the object when passing it.
    static let clearance: Float = TabletopScene.objectRadius + TabletopScene.agentRadius + 0.04
    /// Lateral steering gain while pushing.
    static let steering: Float = 8

    static func action(scene: TabletopScene, target: Int, edge: TabletopScene.Edge) -> [Float] {
        let o = scene.objects[target].position, p = scene.agent
        let d = edge.direction, n = SIMD2<Float>(-d.y, d.x)
        let s = ((p - o) * d).sum(), l = ((p - o) * n).sum()
        let behind = TabletopScene.clampAgent(o - standoff * d)
        let sBehind = ((behind - o) * d).sum()
        let step = TabletopTask.stepSize

        if s <= -0.15 && abs(l) <= 0.08 {
            let v = d - min(max(steering * l, -1), 1) * n
            let u = v / (v * v).sum().squareRoot()
            return [u.x, u.y]
        }
        if s <= sBehind + 0.02 {
            return TabletopScene.velocity(from: p, to: behind, stepSize: step)
        }
        if abs(l) >= clearance - 0.01 {
            let side: Float = l >= 0 ? 1 : -1
            let level = TabletopScene.clampAgent(o - standoff * d + side * clearance * n)
            return TabletopScene.velocity(from: p, to: level, stepSize: step)
        }
        // Inside the corridor beside or ahead of the object: sideways first.
        var side: Float = l > 0 ? 1 : l < 0 ? -1 : ((o * n).sum() <= 0 ? 1 : -1)
        var aside = o + s * d + side * clearance * n
        if aside != TabletopScene.clampAgent(aside) {
            side = -side
            aside = o + s * d + side * clearance * n
        }
        return TabletopScene.velocity(from: p, to: TabletopScene.clampAgent(aside), stepSize: step)
    }
}
