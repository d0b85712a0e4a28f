using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace PatchPortal.Portal.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class HostNormalizedNames : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Hosts_Address",
                table: "Hosts");

            migrationBuilder.DropIndex(
                name: "IX_Hosts_Name",
                table: "Hosts");

            migrationBuilder.AddColumn<string>(
                name: "NormalizedAddress",
                table: "Hosts",
                type: "TEXT",
                maxLength: 253,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "NormalizedName",
                table: "Hosts",
                type: "TEXT",
                maxLength: 253,
                nullable: false,
                defaultValue: "");

            // Hosts stored before this migration get their keys now, or they would all collide on "".
            migrationBuilder.Sql("UPDATE \"Hosts\" SET \"NormalizedName\" = upper(\"Name\"), \"NormalizedAddress\" = upper(\"Address\");");

            migrationBuilder.CreateIndex(
                name: "IX_Hosts_Name",
                table: "Hosts",
                column: "Name");

            migrationBuilder.CreateIndex(
                name: "IX_Hosts_NormalizedAddress",
                table: "Hosts",
                column: "NormalizedAddress",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Hosts_NormalizedName",
                table: "Hosts",
                column: "NormalizedName",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Hosts_Name",
                table: "Hosts");

            migrationBuilder.DropIndex(
                name: "IX_Hosts_NormalizedAddress",
                table: "Hosts");

            migrationBuilder.DropIndex(
                name: "IX_Hosts_NormalizedName",
                table: "Hosts");

            migrationBuilder.DropColumn(
                name: "NormalizedAddress",
                table: "Hosts");

            migrationBuilder.DropColumn(
                name: "NormalizedName",
                table: "Hosts");

            migrationBuilder.CreateIndex(
                name: "IX_Hosts_Address",
                table: "Hosts",
                column: "Address",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Hosts_Name",
                table: "Hosts",
                column: "Name",
                unique: true);
        }
    }
}
