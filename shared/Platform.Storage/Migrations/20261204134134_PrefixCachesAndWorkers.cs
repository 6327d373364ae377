using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Platform.Storage.Migrations
{
    /// <summary>
    /// Issue 29: scored tokens read from the verifier's prefix cache (usage rows, runs, the analyst views) and the
    /// workers that served a run's last rounds and each request (decisions 0022 and 0023).
    /// </summary>
    public partial class PrefixCachesAndWorkers : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "cached_scored_tokens",
                schema: "ttc",
                table: "runs",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<string>(
                name: "generator_worker",
                schema: "ttc",
                table: "runs",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "verifier_worker",
                schema: "ttc",
                table: "runs",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "cached_scored_tokens",
                schema: "ttc",
                table: "compute_usage",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<string>(
                name: "worker",
                schema: "ttc",
                table: "compute_usage",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            // run_results gains a column in the middle, which CREATE OR REPLACE VIEW cannot do: the views on top of it go first
            migrationBuilder.Sql(Storage.ScalingViews.Drop);
            migrationBuilder.Sql(AnalystViews.Drop);
            migrationBuilder.Sql(AnalystViews.Create);
            migrationBuilder.Sql(Storage.ScalingViews.Create);
            migrationBuilder.Sql(AnalystViews.GrantToAnalyst);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(Storage.ScalingViews.Drop);
            migrationBuilder.Sql(AnalystViews.Drop);
            migrationBuilder.Sql(PipelineRecords.Views);
            migrationBuilder.Sql(Storage.ScalingViews.Create);
            migrationBuilder.Sql(AnalystViews.GrantToAnalyst);

            migrationBuilder.DropColumn(
                name: "cached_scored_tokens",
                schema: "ttc",
                table: "runs");

            migrationBuilder.DropColumn(
                name: "generator_worker",
                schema: "ttc",
                table: "runs");

            migrationBuilder.DropColumn(
                name: "verifier_worker",
                schema: "ttc",
                table: "runs");

            migrationBuilder.DropColumn(
                name: "cached_scored_tokens",
                schema: "ttc",
                table: "compute_usage");

            migrationBuilder.DropColumn(
                name: "worker",
                schema: "ttc",
                table: "compute_usage");
        }
    }
}
