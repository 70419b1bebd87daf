// Trains a two-layer MLP to classify points inside/outside a circle, using
// only Plinth's public API. Exits non-zero if it fails to learn.
import Plinth

let generator = RandomGenerator(seed: 0)
let fc1 = Linear(2, 32, generator: generator)
let fc2 = Linear(32, 2, generator: generator)
let optimizer = AdamW(fc1.parameters() + fc2.parameters(), learningRate: 0.02, weightDecay: 0)

func batch(_ n: Int) -> (Tensor, [Int]) {
    let x = Tensor.rand([n, 2], low: -1, high: 1, generator: generator)          // [N, 2]
    let labels = x.toArray().chunks2.map { $0.0 * $0.0 + $0.1 * $0.1 < 0.5 ? 1 : 0 }
    return (x, labels)
}

var loss: Float = 0
for step in 0..<300 {
    let (x, y) = batch(64)
    optimizer.zeroGrad()
    let l = Tensor.crossEntropy(fc2(fc1(x).relu()), targets: y)               // logits [N, 2]
    l.backward()
    optimizer.step()
    loss = l.item()
    if step % 100 == 0 { print("step \(step): loss \(loss)") }
}
let (x, y) = batch(1000)
let predicted = withNoGrad { fc2(fc1(x).relu()) }.argmax(dim: 1)
let accuracy = Float(zip(predicted, y).filter { $0 == $1 }.count) / 1000
print("final loss \(loss), held-out accuracy \(accuracy)")
if accuracy < 0.9 { fatalError("TwoLayer example did not learn: accuracy \(accuracy)") }

extension Array where Element == Float {
    /// Consecutive pairs.
    var chunks2: [(Float, Float)] { stride(from: 0, to: count - 1, by: 2).map { (self[$0], self[$0 + 1]) } }
}
