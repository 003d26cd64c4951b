namespace Parley.Training;

/// <summary>
/// A checkpoint cannot be resumed: a file is missing, truncated or fails its hash, or it was written by a run with
/// other settings (the differing field is named). The message says which file or field and what to do.
/// </summary>
/// <example><code>
/// try { trainer.TryResume(); }
/// catch (CheckpointException e) { Console.Error.WriteLine(e.Message); } // e.Field: "learning_rate", "trainable.safetensors", ...
/// </code></example>
public sealed class CheckpointException : ParleyException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="file">The checkpoint file (or folder) at fault.</param>
    /// <param name="field">The file name or run setting that differs, when one does.</param>
    /// <param name="problem">What is wrong.</param>
    /// <param name="hint">What to do; null for the default (delete the checkpoint, or resume with the same settings).</param>
    /// <param name="inner">The underlying error, if any.</param>
    public CheckpointException(string file, string? field, string problem, string? hint = null, Exception? inner = null)
        : base($"{file}: {problem}", hint ?? DefaultHint, file, 0, field, inner)
    {
    }

    /// <summary>The library's default hint.</summary>
    public const string DefaultHint = "Delete the checkpoint folder to start over, resume with the settings it was written with, or set TrainerOptions.ForceResume to resume anyway.";
}
