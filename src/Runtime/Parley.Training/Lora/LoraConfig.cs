namespace Parley.Training.Lora;

/// <summary>
/// LoRA settings with PEFT's meaning (defaults from the seed notebook: r=16, alpha=32, dropout=0.05, bias "none",
/// task CAUSAL_LM, all attention and MLP projections). The update is <c>scaling * B(A(dropout(x)))</c> with
/// <c>scaling = alpha / r</c>, or <c>alpha / sqrt(r)</c> with rsLoRA.
/// </summary>
/// <example>
/// <code>
/// var config = new LoraConfig { R = 8, Alpha = 16, TargetModules = ["q_proj", "v_proj"] };
/// </code>
/// </example>
public sealed record LoraConfig
{
    /// <summary>Every attention and MLP projection of a Llama-family model.</summary>
    public static IReadOnlyList<string> AllProjections { get; } = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    /// <summary>Every attention and MLP projection of an OPT model (PEFT <c>target_modules</c> for
    /// <see cref="Models.OptForCausalLM"/>).</summary>
    public static IReadOnlyList<string> OptProjections { get; } = ["q_proj", "k_proj", "v_proj", "out_proj", "fc1", "fc2"];

    /// <summary>Rank of the update. Default 16.</summary>
    public int R { get; init; } = 16;

    /// <summary>LoRA alpha. Default 32.</summary>
    public double Alpha { get; init; } = 32;

    /// <summary>Dropout on the adapter input. Default 0.05.</summary>
    public double Dropout { get; init; } = 0.05;

    /// <summary>Projection names to adapt (PEFT <c>target_modules</c>). Default <see cref="AllProjections"/> (Llama
    /// names); use <see cref="OptProjections"/> for OPT.</summary>
    public IReadOnlyList<string> TargetModules { get; init; } = AllProjections;

    /// <summary>Use rank-stabilised scaling <c>alpha / sqrt(r)</c>. Default off.</summary>
    public bool UseRsLora { get; init; }

    /// <summary>PEFT's <c>bias</c>; only "none" is supported.</summary>
    public string Bias { get; init; } = "none";

    /// <summary>PEFT's <c>task_type</c>.</summary>
    public string TaskType { get; init; } = "CAUSAL_LM";

    /// <summary>The multiplier of the update.</summary>
    public double Scaling => UseRsLora ? Alpha / Math.Sqrt(R) : Alpha / R;

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentException">A value is out of range or unsupported.</exception>
    public void Validate()
    {
        if (R <= 0)
        {
            throw new ArgumentException($"LoRA r must be positive; got {R}.");
        }
        if (Dropout is < 0 or >= 1)
        {
            throw new ArgumentException($"LoRA dropout must be in [0, 1); got {Dropout}.");
        }
        if (TargetModules.Count == 0)
        {
            throw new ArgumentException("LoRA needs at least one target module, e.g. q_proj.");
        }
        if (Bias != "none")
        {
            throw new ArgumentException($"LoRA bias \"{Bias}\" is not supported; use \"none\".");
        }
    }
}
