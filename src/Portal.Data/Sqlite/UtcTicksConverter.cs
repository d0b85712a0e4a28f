using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace PatchPortal.Portal.Data.Sqlite;

/// <summary>
/// Stores a <see cref="DateTimeOffset"/> as UTC ticks so SQLite can compare and sort it in SQL
/// (SQLite has no date type and EF cannot translate comparisons of its text form).
/// </summary>
public sealed class UtcTicksConverter()
    : ValueConverter<DateTimeOffset, long>(v => v.UtcTicks, v => new DateTimeOffset(v, TimeSpan.Zero));
