namespace Parley.Training.Models;

/// <summary>A model file or folder (config.json, safetensors, a llama2.c .bin) is malformed or of an architecture Parley does not load.</summary>
/// <example><code>
/// try { HfModelLoader.Load("my-model"); }
/// catch (ModelFormatException e) { Console.Error.WriteLine(e.Message); } // names the file and what is wrong
/// </code></example>
public sealed class ModelFormatException : ParleyException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The model folder or file.</param>
    /// <param name="problem">What is wrong (often the underlying reader's message, which names the file and field).</param>
    /// <param name="inner">The underlying error.</param>
    public ModelFormatException(string path, string problem, Exception? inner = null)
        : base(problem.Contains(path, StringComparison.Ordinal) ? problem : $"{path}: {problem}", null, path, 0, null, inner)
    {
    }
}
