using static TorchSharp.torch;

namespace Parley.Training.Models;

/// <summary>Copies loaded weights into a model's parameters by state-dict name, checking shapes.</summary>
internal sealed class WeightAssigner
{
    private readonly Dictionary<string, TorchSharp.Modules.Parameter> parameters;
    private readonly HashSet<string> assigned = [];
    private readonly string source;

    public WeightAssigner(nn.Module model, string source)
    {
        parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        this.source = source;
    }

    /// <summary>Copies <paramref name="value"/> (any dtype, CPU) into the parameter <paramref name="name"/>.</summary>
    public void Assign(string name, Tensor value)
    {
        if (!parameters.TryGetValue(name, out var target))
        {
            throw new InvalidDataException($"{source}: the model has no parameter \"{name}\"; the file does not match the model's config.");
        }
        if (!target.shape.SequenceEqual(value.shape))
        {
            throw new InvalidDataException(
                $"{source}: \"{name}\" has shape [{string.Join(", ", value.shape)}] but the model expects [{string.Join(", ", target.shape)}]; check the config matches the weights.");
        }
        using (no_grad())
        {
            target.copy_(value);
        }
        assigned.Add(name);
    }

    /// <summary>Marks <paramref name="name"/> as provided another way (a 4-bit weight swapped in after loading).</summary>
    public void Provided(string name)
    {
        if (!parameters.ContainsKey(name))
        {
            throw new InvalidDataException($"{source}: the model has no parameter \"{name}\"; the file does not match the model's config.");
        }
        assigned.Add(name);
    }

    /// <summary>Throws when a parameter was left unassigned.</summary>
    public void EnsureComplete()
    {
        var missing = parameters.Keys.Where(k => !assigned.Contains(k)).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidDataException($"{source}: no weights for {string.Join(", ", missing.Take(5))}{(missing.Count > 5 ? $" and {missing.Count - 5} more" : "")}.");
        }
    }
}
