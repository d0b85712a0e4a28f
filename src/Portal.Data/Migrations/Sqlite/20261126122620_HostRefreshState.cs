using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace PatchPortal.Portal.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class HostRefreshState : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "ConsecutiveFailures",
                table: "Hosts",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "ConsecutiveFailures",
                table: "Hosts");
        }
    }
}
