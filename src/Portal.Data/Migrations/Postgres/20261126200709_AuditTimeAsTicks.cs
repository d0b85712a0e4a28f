using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace PatchPortal.Portal.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class AuditTimeAsTicks : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // An audit event's hash covers its time to the tick and timestamptz keeps microseconds: from now on the
            // time is stored as UTC ticks (as on SQLite). Existing rows convert exactly (their microseconds).
            migrationBuilder.Sql(
                "ALTER TABLE \"AuditEvents\" ALTER COLUMN \"OccurredAt\" TYPE bigint " +
                "USING (round(extract(epoch from \"OccurredAt\") * 10000000)::bigint + 621355968000000000);");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(
                "ALTER TABLE \"AuditEvents\" ALTER COLUMN \"OccurredAt\" TYPE timestamp with time zone " +
                "USING to_timestamp((\"OccurredAt\" - 621355968000000000) / 10000000.0);");
        }
    }
}
