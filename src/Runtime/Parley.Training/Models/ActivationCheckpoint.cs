using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace Parley.Training.Models;

/// <summary>
/// Activation (gradient) checkpointing of one decoder layer, as PyTorch's reentrant
/// <c>torch.utils.checkpoint.checkpoint</c>: the forward runs without building a graph and keeps only the layer's
/// input; backward runs the layer again from that input with gradients on, back-propagates the incoming gradient
/// through the recomputed graph (which accumulates the layer's parameter gradients, e.g. the LoRA adapters') and
/// passes the input's gradient on. Memory for a layer's intermediate activations is held only while that layer is
/// being recomputed, at the price of a second forward per layer.
/// </summary>
/// <remarks>
/// Built on TorchSharp's custom autograd functions (<c>torch.autograd.SingleTensorFunction</c>, TorchSharp ≥ 0.102).
/// Randomness is replayed: the CPU generator's state is saved before the forward and restored for the recompute, so
/// dropout masks (LoRA dropout, OPT's residual dropout) are the same both times and gradients equal those of an
/// uncheckpointed run. TorchSharp exposes no CUDA generator state, so for CUDA inputs the CUDA generator is reseeded
/// with the same seed (drawn from the CPU generator) before the forward and before the recompute instead.
/// </remarks>
/// <example>
/// <code>
/// // inside a decoder stack's forward, while training:
/// hidden = model.GradientCheckpointing &amp;&amp; training ? ActivationCheckpoint.Run(layer, hidden, inputs) : layer.call(hidden, inputs);
/// </code>
/// </example>
public static class ActivationCheckpoint
{
    /// <summary>Runs <paramref name="layer"/> on <paramref name="hidden"/>, recomputing it in backward.</summary>
    /// <param name="layer">A decoder layer.</param>
    /// <param name="hidden">The layer input <c>[batch, seq, hidden]</c>. When it does not require gradients (a frozen
    /// embedding's output) it is made a leaf that does, so that backward reaches the layer's trainable parameters.</param>
    /// <param name="inputs">Mask and rotary angles; the function keeps its own handles on them until backward.</param>
    /// <returns>The layer output; its gradient function is the checkpoint.</returns>
    public static Tensor Run(nn.Module<Tensor, AttentionInputs, Tensor> layer, Tensor hidden, AttentionInputs inputs)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(hidden);
        ArgumentNullException.ThrowIfNull(inputs);
        if (!is_grad_enabled())
        {
            return layer.call(hidden, inputs);
        }
        if (!hidden.requires_grad)
        {
            // the autograd node is only built when an input requires grad (PyTorch warns in the same case)
            hidden = hidden.detach().requires_grad_(true);
        }
        var replay = Replay.Capture(hidden.device);
        var state = new LayerState(layer, inputs.Retain(), replay);
        return CheckpointFunction.apply(hidden, state);
    }

    /// <summary>What backward needs besides the saved input; owns its tensor handles.</summary>
    private sealed class LayerState(nn.Module<Tensor, AttentionInputs, Tensor> layer, AttentionInputs inputs, Replay replay)
    {
        public nn.Module<Tensor, AttentionInputs, Tensor> Layer { get; } = layer;

        public AttentionInputs Inputs { get; } = inputs;

        public Replay Replay { get; } = replay;

        public void Release()
        {
            Inputs.Release();
            Replay.Dispose();
        }
    }

    /// <summary>The random state to replay in the recompute.</summary>
    private sealed class Replay : IDisposable
    {
        private Tensor? cpuState;
        private long? cudaSeed;

        public static Replay Capture(Device device)
        {
            var replay = new Replay();
            if (device.type == DeviceType.CUDA)
            {
                using var draw = randint(0, int.MaxValue, [1], dtype: ScalarType.Int64);
                replay.cudaSeed = draw.item<long>();
                cuda.manual_seed(replay.cudaSeed.Value);
            }
            // after the draw above, so the forward's CPU randomness is exactly what the recompute replays
            replay.cpuState = get_rng_state().DetachFromDisposeScope();
            return replay;
        }

        /// <summary>Runs <paramref name="action"/> with the captured state, then restores the current CPU state.</summary>
        public T Run<T>(Func<T> action)
        {
            using var current = get_rng_state();
            set_rng_state(cpuState!);
            if (cudaSeed is { } seed)
            {
                cuda.manual_seed(seed);
            }
            try
            {
                return action();
            }
            finally
            {
                set_rng_state(current);
            }
        }

        public void Dispose()
        {
            cpuState?.Dispose();
            cpuState = null;
        }
    }

    private sealed class CheckpointFunction : SingleTensorFunction<CheckpointFunction>
    {
        private const string StateKey = "state";

        public override string Name => "ParleyActivationCheckpoint";

        // apply() calls this with gradients off, so the layer keeps no activations
        public override Tensor forward(AutogradContext ctx, params object[] vars)
        {
            var input = (Tensor)vars[0];
            var state = (LayerState)vars[1];
            ctx.save_for_backward([input]);
            ctx.save_data(StateKey, state);
            return state.Layer.call(input, state.Inputs);
        }

        public override List<Tensor> backward(AutogradContext ctx, Tensor grad_output)
        {
            var state = (LayerState)ctx.get_data(StateKey);
            using var scope = NewDisposeScope();
            var saved = ctx.get_saved_variables()[0];
            var input = saved.detach().requires_grad_(true);
            try
            {
                var output = state.Replay.Run(() =>
                {
                    using var grad = enable_grad();
                    return state.Layer.call(input, state.Inputs);
                });
                // a reentrant backward through the recomputed graph: parameter gradients accumulate in place
                autograd.backward([output], [grad_output]);
                var inputGrad = input.grad ?? zeros_like(input);
                return [inputGrad.MoveToOuterDisposeScope(), null!];
            }
            finally
            {
                state.Release();
            }
        }
    }
}
