using Microsoft.EntityFrameworkCore;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Data.Sqlite;

namespace PatchPortal.Portal.Data.Postgres;

/// <summary>The PostgreSQL flavour of <see cref="PortalDbContext"/>; its migrations live in Migrations/Postgres.</summary>
public sealed class PostgresPortalDbContext(DbContextOptions<PostgresPortalDbContext> options) : PortalDbContext(options)
{
    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        ArgumentNullException.ThrowIfNull(configurationBuilder);
        base.ConfigureConventions(configurationBuilder);
        // timestamptz holds an instant and Npgsql writes only offset zero: every DateTimeOffset goes in as UTC.
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<UtcDateTimeOffsetConverter>();
        // The model's DateTime values are wall-clock times in a named zone (a window's local start), not instants.
        configurationBuilder.Properties<DateTime>().HaveColumnType("timestamp without time zone");
    }

    protected override void OnModelCreating(ModelBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        base.OnModelCreating(builder);
        // An audit event's hash covers its time to the tick; timestamptz keeps microseconds. Stored as UTC ticks (as on
        // SQLite) the time reads back exactly, so the chain verifies here and after a copy from SQLite (migrate-db).
        builder.Entity<AuditEvent>().Property(e => e.OccurredAt).HasConversion<UtcTicksConverter>();
    }
}
