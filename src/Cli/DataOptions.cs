using System.CommandLine;
using Parley.Data;

namespace Parley.Cli;

/// <summary>
/// The dataset options every command that reads rows shares (<c>--rename a=b</c>, <c>--drop c</c>, <c>--bad-rows</c>,
/// <c>--shard i/n</c>), so a file that works with <c>train</c>'s config works with <c>format</c>, <c>inspect</c> and <c>pack</c>.
/// </summary>
internal sealed class DataOptions
{
    private readonly Option<string[]> _rename = new("--rename") { Description = "Rename a column before reading rows: old=new (repeatable), e.g. --rename sentence=prompt.", AllowMultipleArgumentsPerToken = false };
    private readonly Option<string[]> _drop = new("--drop") { Description = "Ignore a column (repeatable)." };
    private readonly Option<string> _badRows = new("--bad-rows") { Description = "fail (default): stop at the first bad row, naming it; skip: skip and count bad rows.", DefaultValueFactory = _ => "fail" };
    private readonly Option<string?> _shard;

    public DataOptions(bool shard)
    {
        _badRows.AcceptOnlyFromAmong("fail", "skip");
        _shard = new Option<string?>("--shard") { Description = "i/n: process only rows whose index modulo n is i (0-based), so n processes can prepare one dataset; the shards load together as one HF dataset." };
        Shard = shard;
    }

    private bool Shard { get; }

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(_rename);
        command.Options.Add(_drop);
        command.Options.Add(_badRows);
        if (Shard) command.Options.Add(_shard);
    }

    /// <summary>The reader options the parsed command line asks for.</summary>
    /// <exception cref="CliInputException">A malformed <c>--rename</c> or <c>--shard</c>.</exception>
    public DatasetReadOptions Read(ParseResult parse)
    {
        var columns = new ColumnMapping();
        foreach (string pair in parse.GetValue(_rename) ?? [])
        {
            int equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0 || equals == pair.Length - 1) throw new CliInputException($"--rename '{pair}': write old=new, e.g. --rename sentence=prompt.");
            columns.Rename(pair[..equals], pair[(equals + 1)..]);
        }

        foreach (string name in parse.GetValue(_drop) ?? []) columns.Drop(name);
        var (index, count) = Shard ? ParseShard(parse.GetValue(_shard)) : (0, 1);
        return new DatasetReadOptions
        {
            Columns = columns,
            BadRows = parse.GetValue(_badRows) == "skip" ? BadRowPolicy.Skip : BadRowPolicy.Throw,
            ShardIndex = index,
            ShardCount = count,
        };
    }

    /// <summary>Parses <c>i/n</c>.</summary>
    internal static (int Index, int Count) ParseShard(string? text)
    {
        if (text is null) return (0, 1);
        string[] parts = text.Split('/');
        if (parts.Length != 2 || !int.TryParse(parts[0], out int index) || !int.TryParse(parts[1], out int count) || count < 1 || index < 0 || index >= count)
        {
            throw new CliInputException($"--shard '{text}': write i/n with 0 <= i < n, e.g. --shard 0/4 for the first of four shards.");
        }

        return (index, count);
    }
}
