using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace PatchPortal.Portal.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class WindowsPlansRuns : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "CalendarFeedTokenHash",
                table: "AspNetUsers",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "Blackouts",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    Reason = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true),
                    StartsAt = table.Column<long>(type: "INTEGER", nullable: false),
                    EndsAt = table.Column<long>(type: "INTEGER", nullable: false),
                    AppliesToAll = table.Column<bool>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    CreatedBy = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Blackouts", x => x.Id);
                    table.CheckConstraint("CK_Blackouts_Span", "\"EndsAt\" > \"StartsAt\"");
                });

            migrationBuilder.CreateTable(
                name: "MaintenanceWindows",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    Description = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true),
                    TimeZoneId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    StartLocal = table.Column<DateTime>(type: "TEXT", nullable: false),
                    DurationMinutes = table.Column<int>(type: "INTEGER", nullable: false),
                    CutoffMinutes = table.Column<int>(type: "INTEGER", nullable: false),
                    RecurrenceRule = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    ExclusionDates = table.Column<string>(type: "TEXT", nullable: false),
                    Enabled = table.Column<bool>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    CreatedBy = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    UpdatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_MaintenanceWindows", x => x.Id);
                    table.CheckConstraint("CK_MaintenanceWindows_Cutoff", "\"CutoffMinutes\" >= 0 AND \"CutoffMinutes\" < \"DurationMinutes\"");
                    table.CheckConstraint("CK_MaintenanceWindows_Duration", "\"DurationMinutes\" > 0");
                });

            migrationBuilder.CreateTable(
                name: "BlackoutGroups",
                columns: table => new
                {
                    BlackoutId = table.Column<Guid>(type: "TEXT", nullable: false),
                    GroupId = table.Column<Guid>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_BlackoutGroups", x => new { x.BlackoutId, x.GroupId });
                    table.ForeignKey(
                        name: "FK_BlackoutGroups_Blackouts_BlackoutId",
                        column: x => x.BlackoutId,
                        principalTable: "Blackouts",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_BlackoutGroups_HostGroups_GroupId",
                        column: x => x.GroupId,
                        principalTable: "HostGroups",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "BlackoutHosts",
                columns: table => new
                {
                    BlackoutId = table.Column<Guid>(type: "TEXT", nullable: false),
                    HostId = table.Column<Guid>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_BlackoutHosts", x => new { x.BlackoutId, x.HostId });
                    table.ForeignKey(
                        name: "FK_BlackoutHosts_Blackouts_BlackoutId",
                        column: x => x.BlackoutId,
                        principalTable: "Blackouts",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_BlackoutHosts_Hosts_HostId",
                        column: x => x.HostId,
                        principalTable: "Hosts",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "BlackoutTags",
                columns: table => new
                {
                    BlackoutId = table.Column<Guid>(type: "TEXT", nullable: false),
                    TagId = table.Column<Guid>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_BlackoutTags", x => new { x.BlackoutId, x.TagId });
                    table.ForeignKey(
                        name: "FK_BlackoutTags_Blackouts_BlackoutId",
                        column: x => x.BlackoutId,
                        principalTable: "Blackouts",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_BlackoutTags_Tags_TagId",
                        column: x => x.TagId,
                        principalTable: "Tags",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "MaintenanceWindowGroups",
                columns: table => new
                {
                    GroupId = table.Column<Guid>(type: "TEXT", nullable: false),
                    MaintenanceWindowId = table.Column<Guid>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_MaintenanceWindowGroups", x => new { x.GroupId, x.MaintenanceWindowId });
                    table.ForeignKey(
                        name: "FK_MaintenanceWindowGroups_HostGroups_GroupId",
                        column: x => x.GroupId,
                        principalTable: "HostGroups",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_MaintenanceWindowGroups_MaintenanceWindows_MaintenanceWindowId",
                        column: x => x.MaintenanceWindowId,
                        principalTable: "MaintenanceWindows",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "MaintenanceWindowHosts",
                columns: table => new
                {
                    HostId = table.Column<Guid>(type: "TEXT", nullable: false),
                    MaintenanceWindowId = table.Column<Guid>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_MaintenanceWindowHosts", x => new { x.HostId, x.MaintenanceWindowId });
                    table.ForeignKey(
                        name: "FK_MaintenanceWindowHosts_Hosts_HostId",
                        column: x => x.HostId,
                        principalTable: "Hosts",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_MaintenanceWindowHosts_MaintenanceWindows_MaintenanceWindowId",
                        column: x => x.MaintenanceWindowId,
                        principalTable: "MaintenanceWindows",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "MaintenanceWindowTags",
                columns: table => new
                {
                    MaintenanceWindowId = table.Column<Guid>(type: "TEXT", nullable: false),
                    TagId = table.Column<Guid>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_MaintenanceWindowTags", x => new { x.MaintenanceWindowId, x.TagId });
                    table.ForeignKey(
                        name: "FK_MaintenanceWindowTags_MaintenanceWindows_MaintenanceWindowId",
                        column: x => x.MaintenanceWindowId,
                        principalTable: "MaintenanceWindows",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_MaintenanceWindowTags_Tags_TagId",
                        column: x => x.TagId,
                        principalTable: "Tags",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "PatchPlans",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Description = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: true),
                    State = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    Revision = table.Column<int>(type: "INTEGER", nullable: false),
                    Scope = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    Packages = table.Column<string>(type: "TEXT", nullable: false),
                    ExcludedPackages = table.Column<string>(type: "TEXT", nullable: false),
                    Timing = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    WindowId = table.Column<Guid>(type: "TEXT", nullable: true),
                    OccurrenceStart = table.Column<long>(type: "INTEGER", nullable: true),
                    BatchSize = table.Column<int>(type: "INTEGER", nullable: false),
                    BatchSizeIsPercent = table.Column<bool>(type: "INTEGER", nullable: false),
                    CanaryHostIds = table.Column<string>(type: "TEXT", nullable: false),
                    MaxFailures = table.Column<int>(type: "INTEGER", nullable: false),
                    MaxFailuresIsPercent = table.Column<bool>(type: "INTEGER", nullable: false),
                    RebootPolicy = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    HostTimeoutMinutes = table.Column<int>(type: "INTEGER", nullable: false),
                    RequestedBy = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    RequiredApprovals = table.Column<int>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    UpdatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    SubmittedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    ApprovalExpiresAt = table.Column<long>(type: "INTEGER", nullable: true),
                    ConcurrencyStamp = table.Column<Guid>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PatchPlans", x => x.Id);
                    table.CheckConstraint("CK_PatchPlans_BatchSize", "\"BatchSize\" >= 1");
                    table.CheckConstraint("CK_PatchPlans_HostTimeout", "\"HostTimeoutMinutes\" >= 1");
                    table.CheckConstraint("CK_PatchPlans_MaxFailures", "\"MaxFailures\" >= 0");
                    table.ForeignKey(
                        name: "FK_PatchPlans_MaintenanceWindows_WindowId",
                        column: x => x.WindowId,
                        principalTable: "MaintenanceWindows",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "PatchPlanGroups",
                columns: table => new
                {
                    GroupId = table.Column<Guid>(type: "TEXT", nullable: false),
                    PatchPlanId = table.Column<Guid>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PatchPlanGroups", x => new { x.GroupId, x.PatchPlanId });
                    table.ForeignKey(
                        name: "FK_PatchPlanGroups_HostGroups_GroupId",
                        column: x => x.GroupId,
                        principalTable: "HostGroups",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_PatchPlanGroups_PatchPlans_PatchPlanId",
                        column: x => x.PatchPlanId,
                        principalTable: "PatchPlans",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "PatchPlanHosts",
                columns: table => new
                {
                    HostId = table.Column<Guid>(type: "TEXT", nullable: false),
                    PatchPlanId = table.Column<Guid>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PatchPlanHosts", x => new { x.HostId, x.PatchPlanId });
                    table.ForeignKey(
                        name: "FK_PatchPlanHosts_Hosts_HostId",
                        column: x => x.HostId,
                        principalTable: "Hosts",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_PatchPlanHosts_PatchPlans_PatchPlanId",
                        column: x => x.PatchPlanId,
                        principalTable: "PatchPlans",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "PatchPlanTags",
                columns: table => new
                {
                    PatchPlanId = table.Column<Guid>(type: "TEXT", nullable: false),
                    TagId = table.Column<Guid>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PatchPlanTags", x => new { x.PatchPlanId, x.TagId });
                    table.ForeignKey(
                        name: "FK_PatchPlanTags_PatchPlans_PatchPlanId",
                        column: x => x.PatchPlanId,
                        principalTable: "PatchPlans",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_PatchPlanTags_Tags_TagId",
                        column: x => x.TagId,
                        principalTable: "Tags",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "PatchRuns",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    PlanId = table.Column<Guid>(type: "TEXT", nullable: false),
                    OccurrenceStart = table.Column<long>(type: "INTEGER", nullable: false),
                    OccurrenceEnd = table.Column<long>(type: "INTEGER", nullable: false),
                    CutoffAt = table.Column<long>(type: "INTEGER", nullable: false),
                    State = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    StateReason = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    PauseRequested = table.Column<bool>(type: "INTEGER", nullable: false),
                    CurrentBatch = table.Column<int>(type: "INTEGER", nullable: false),
                    HangfireJobId = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    StartedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    FinishedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    CancelledBy = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    ConcurrencyStamp = table.Column<Guid>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PatchRuns", x => x.Id);
                    table.ForeignKey(
                        name: "FK_PatchRuns_PatchPlans_PlanId",
                        column: x => x.PlanId,
                        principalTable: "PatchPlans",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "PlanApprovals",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    PlanId = table.Column<Guid>(type: "TEXT", nullable: false),
                    PlanRevision = table.Column<int>(type: "INTEGER", nullable: false),
                    Approver = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    Decision = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    Comment = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    DecidedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PlanApprovals", x => x.Id);
                    table.ForeignKey(
                        name: "FK_PlanApprovals_PatchPlans_PlanId",
                        column: x => x.PlanId,
                        principalTable: "PatchPlans",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "PlanEvents",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    PlanId = table.Column<Guid>(type: "TEXT", nullable: false),
                    OccurredAt = table.Column<long>(type: "INTEGER", nullable: false),
                    Actor = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 50, nullable: false),
                    FromState = table.Column<string>(type: "TEXT", maxLength: 20, nullable: true),
                    ToState = table.Column<string>(type: "TEXT", maxLength: 20, nullable: true),
                    Message = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PlanEvents", x => x.Id);
                    table.ForeignKey(
                        name: "FK_PlanEvents_PatchPlans_PlanId",
                        column: x => x.PlanId,
                        principalTable: "PatchPlans",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "PlanManifestHosts",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    PlanId = table.Column<Guid>(type: "TEXT", nullable: false),
                    HostId = table.Column<Guid>(type: "TEXT", nullable: false),
                    HostName = table.Column<string>(type: "TEXT", maxLength: 253, nullable: false),
                    PlanRevision = table.Column<int>(type: "INTEGER", nullable: false),
                    CheckedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    Error = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    RequiresReboot = table.Column<bool>(type: "INTEGER", nullable: false),
                    Changes = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PlanManifestHosts", x => x.Id);
                    table.ForeignKey(
                        name: "FK_PlanManifestHosts_PatchPlans_PlanId",
                        column: x => x.PlanId,
                        principalTable: "PatchPlans",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "HostRuns",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    RunId = table.Column<Guid>(type: "TEXT", nullable: false),
                    HostId = table.Column<Guid>(type: "TEXT", nullable: false),
                    HostName = table.Column<string>(type: "TEXT", maxLength: 253, nullable: false),
                    BatchNumber = table.Column<int>(type: "INTEGER", nullable: false),
                    IsCanary = table.Column<bool>(type: "INTEGER", nullable: false),
                    State = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    Attempts = table.Column<int>(type: "INTEGER", nullable: false),
                    NextAttemptAt = table.Column<long>(type: "INTEGER", nullable: true),
                    AgentJobId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    RebootJobId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    RollbackJobId = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    ProgressPercent = table.Column<int>(type: "INTEGER", nullable: false),
                    Message = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    OutputExcerpt = table.Column<string>(type: "TEXT", maxLength: 16000, nullable: true),
                    Error = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    StartedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    FinishedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    RebootedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    KernelAfter = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    ConcurrencyStamp = table.Column<Guid>(type: "TEXT", nullable: false),
                    Changes = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_HostRuns", x => x.Id);
                    table.ForeignKey(
                        name: "FK_HostRuns_PatchRuns_RunId",
                        column: x => x.RunId,
                        principalTable: "PatchRuns",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_BlackoutGroups_GroupId",
                table: "BlackoutGroups",
                column: "GroupId");

            migrationBuilder.CreateIndex(
                name: "IX_BlackoutHosts_HostId",
                table: "BlackoutHosts",
                column: "HostId");

            migrationBuilder.CreateIndex(
                name: "IX_Blackouts_StartsAt_EndsAt",
                table: "Blackouts",
                columns: new[] { "StartsAt", "EndsAt" });

            migrationBuilder.CreateIndex(
                name: "IX_BlackoutTags_TagId",
                table: "BlackoutTags",
                column: "TagId");

            migrationBuilder.CreateIndex(
                name: "IX_HostRuns_HostId",
                table: "HostRuns",
                column: "HostId");

            migrationBuilder.CreateIndex(
                name: "IX_HostRuns_RunId_HostId",
                table: "HostRuns",
                columns: new[] { "RunId", "HostId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_MaintenanceWindowGroups_MaintenanceWindowId",
                table: "MaintenanceWindowGroups",
                column: "MaintenanceWindowId");

            migrationBuilder.CreateIndex(
                name: "IX_MaintenanceWindowHosts_MaintenanceWindowId",
                table: "MaintenanceWindowHosts",
                column: "MaintenanceWindowId");

            migrationBuilder.CreateIndex(
                name: "IX_MaintenanceWindows_Name",
                table: "MaintenanceWindows",
                column: "Name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_MaintenanceWindowTags_TagId",
                table: "MaintenanceWindowTags",
                column: "TagId");

            migrationBuilder.CreateIndex(
                name: "IX_PatchPlanGroups_PatchPlanId",
                table: "PatchPlanGroups",
                column: "PatchPlanId");

            migrationBuilder.CreateIndex(
                name: "IX_PatchPlanHosts_PatchPlanId",
                table: "PatchPlanHosts",
                column: "PatchPlanId");

            migrationBuilder.CreateIndex(
                name: "IX_PatchPlans_State",
                table: "PatchPlans",
                column: "State");

            migrationBuilder.CreateIndex(
                name: "IX_PatchPlans_WindowId",
                table: "PatchPlans",
                column: "WindowId");

            migrationBuilder.CreateIndex(
                name: "IX_PatchPlanTags_TagId",
                table: "PatchPlanTags",
                column: "TagId");

            migrationBuilder.CreateIndex(
                name: "IX_PatchRuns_PlanId_OccurrenceStart",
                table: "PatchRuns",
                columns: new[] { "PlanId", "OccurrenceStart" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_PatchRuns_State",
                table: "PatchRuns",
                column: "State");

            migrationBuilder.CreateIndex(
                name: "IX_PlanApprovals_PlanId_PlanRevision_Approver",
                table: "PlanApprovals",
                columns: new[] { "PlanId", "PlanRevision", "Approver" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_PlanEvents_PlanId_OccurredAt",
                table: "PlanEvents",
                columns: new[] { "PlanId", "OccurredAt" });

            migrationBuilder.CreateIndex(
                name: "IX_PlanManifestHosts_PlanId_HostId",
                table: "PlanManifestHosts",
                columns: new[] { "PlanId", "HostId" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "BlackoutGroups");

            migrationBuilder.DropTable(
                name: "BlackoutHosts");

            migrationBuilder.DropTable(
                name: "BlackoutTags");

            migrationBuilder.DropTable(
                name: "HostRuns");

            migrationBuilder.DropTable(
                name: "MaintenanceWindowGroups");

            migrationBuilder.DropTable(
                name: "MaintenanceWindowHosts");

            migrationBuilder.DropTable(
                name: "MaintenanceWindowTags");

            migrationBuilder.DropTable(
                name: "PatchPlanGroups");

            migrationBuilder.DropTable(
                name: "PatchPlanHosts");

            migrationBuilder.DropTable(
                name: "PatchPlanTags");

            migrationBuilder.DropTable(
                name: "PlanApprovals");

            migrationBuilder.DropTable(
                name: "PlanEvents");

            migrationBuilder.DropTable(
                name: "PlanManifestHosts");

            migrationBuilder.DropTable(
                name: "Blackouts");

            migrationBuilder.DropTable(
                name: "PatchRuns");

            migrationBuilder.DropTable(
                name: "PatchPlans");

            migrationBuilder.DropTable(
                name: "MaintenanceWindows");

            migrationBuilder.DropColumn(
                name: "CalendarFeedTokenHash",
                table: "AspNetUsers");
        }
    }
}
