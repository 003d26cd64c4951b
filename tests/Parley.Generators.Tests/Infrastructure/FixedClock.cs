namespace Parley.Generators.Tests;

/// <summary>A clock stopped at one local time (in UTC, so the machine's time zone does not matter).</summary>
public sealed class FixedClock(DateTime local) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => new(DateTime.SpecifyKind(local, DateTimeKind.Utc));

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;
}
