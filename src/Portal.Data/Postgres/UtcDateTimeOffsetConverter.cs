using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace PatchPortal.Portal.Data.Postgres;

/// <summary>
/// Writes a <see cref="DateTimeOffset"/> as the same instant at offset zero, which is all PostgreSQL's
/// <c>timestamptz</c> keeps (Npgsql refuses other offsets rather than silently converting them).
/// </summary>
public sealed class UtcDateTimeOffsetConverter()
    : ValueConverter<DateTimeOffset, DateTimeOffset>(v => v.ToUniversalTime(), v => v);
