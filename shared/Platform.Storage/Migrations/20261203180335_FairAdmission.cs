using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Platform.Storage.Migrations
{
    /// <summary>
    /// Fair admission: who submitted a batch, at which priority class and in which trace, and when each run
    /// was let out to the workers. Runs already started count as admitted; planned ones are let out again by
    /// the scheduler (a second RunPlanned of a run is the same start).
    /// </summary>
    public partial class FairAdmission : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "admitted_at",
                schema: "ttc",
                table: "runs",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "priority",
                schema: "ttc",
                table: "batches",
                type: "character varying(32)",
                maxLength: 32,
                nullable: false,
                defaultValue: "batch");

            migrationBuilder.AddColumn<string>(
                name: "submitter",
                schema: "ttc",
                table: "batches",
                type: "character varying(200)",
                maxLength: 200,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "trace_parent",
                schema: "ttc",
                table: "batches",
                type: "character varying(128)",
                maxLength: 128,
                nullable: true);

            migrationBuilder.Sql("UPDATE ttc.runs SET admitted_at = updated_at WHERE status <> 'planned'");

            migrationBuilder.CreateIndex(
                name: "ix_runs_in_flight",
                schema: "ttc",
                table: "runs",
                column: "batch_id",
                filter: "admitted_at IS NOT NULL AND status IN ('planned', 'running')");

            migrationBuilder.CreateIndex(
                name: "ix_runs_waiting",
                schema: "ttc",
                table: "runs",
                columns: new[] { "batch_id", "created_at" },
                filter: "admitted_at IS NULL AND status = 'planned'");

            migrationBuilder.CreateIndex(
                name: "ix_batches_status",
                schema: "ttc",
                table: "batches",
                column: "status");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_runs_in_flight",
                schema: "ttc",
                table: "runs");

            migrationBuilder.DropIndex(
                name: "ix_runs_waiting",
                schema: "ttc",
                table: "runs");

            migrationBuilder.DropIndex(
                name: "ix_batches_status",
                schema: "ttc",
                table: "batches");

            migrationBuilder.DropColumn(
                name: "admitted_at",
                schema: "ttc",
                table: "runs");

            migrationBuilder.DropColumn(
                name: "priority",
                schema: "ttc",
                table: "batches");

            migrationBuilder.DropColumn(
                name: "submitter",
                schema: "ttc",
                table: "batches");

            migrationBuilder.DropColumn(
                name: "trace_parent",
                schema: "ttc",
                table: "batches");
        }
    }
}
