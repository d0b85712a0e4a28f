using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace PatchPortal.Portal.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class RunsLease : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "LeaseExpiresAt",
                table: "PatchRuns",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "LeaseOwner",
                table: "PatchRuns",
                type: "TEXT",
                maxLength: 200,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "LeaseExpiresAt",
                table: "PatchRuns");

            migrationBuilder.DropColumn(
                name: "LeaseOwner",
                table: "PatchRuns");
        }
    }
}
