import PlinthAdapters
import PlinthData
import PlinthModels
import PlinthNN

/// The behaviour-cloning objective of one optimizer step: the policy's loss
/// on each micro-batch of demonstration steps (`DemoLoader` rows), backpropagated
/// through the head, the trunk and the model's vision tower and shared blocks
/// (scaled so the gradients sum to the whole batch's). Instructions are read as the
/// text tower's token features, computed once per distinct instruction when it is locked.
struct PolicyStep {
    let policy: ActionPolicy
    let lockedText: LockedTextCache?
    let generator: RandomGenerator

    /// Runs forward and backward on every micro-batch; returns the batch's mean loss.
    func callAsFunction(_ model: MultimodalModel, _ microBatches: [Batch]) throws -> Float {
        var total: Float = 0
        for batch in microBatches {
            guard let images = batch.image, let text = batch.text, let states = batch.targets["state"],
                  let actions = batch.targets["action"], let mask = batch.targets["action_mask"] else {
                preconditionFailure("PolicyStep: the loader gives no demonstration batch")
            }
            let instruction = lockedText?.tokens(model, ids: text.ids, batch: text.batch) ?? model.tokens(text: text.ids, batch: text.batch)
            let loss = policy.loss(model, images: images, instruction: instruction, states: states, actions: actions, mask: mask,
                                   generator: generator)
            (loss * (1 / Float(microBatches.count))).backward()
            total += loss.item() / Float(microBatches.count)
        }
        return total
    }
}
