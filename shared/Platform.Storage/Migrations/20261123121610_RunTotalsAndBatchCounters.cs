using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Platform.Storage.Migrations
{
    /// <inheritdoc />
    public partial class RunTotalsAndBatchCounters : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "cached_prompt_tokens",
                schema: "ttc",
                table: "runs",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<double>(
                name: "device_milliseconds",
                schema: "ttc",
                table: "runs",
                type: "double precision",
                nullable: false,
                defaultValue: 0.0);

            migrationBuilder.AddColumn<double>(
                name: "flops",
                schema: "ttc",
                table: "runs",
                type: "double precision",
                nullable: false,
                defaultValue: 0.0);

            migrationBuilder.AddColumn<long>(
                name: "generated_tokens",
                schema: "ttc",
                table: "runs",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<long>(
                name: "prompt_tokens",
                schema: "ttc",
                table: "runs",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<long>(
                name: "scored_tokens",
                schema: "ttc",
                table: "runs",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<int>(
                name: "runs_ended",
                schema: "ttc",
                table: "batches",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            // Existing rows: totals from the per-request rows, counters from the runs that have ended.
            migrationBuilder.Sql("""
                UPDATE ttc.runs r SET prompt_tokens = u.prompt_tokens, cached_prompt_tokens = u.cached_prompt_tokens,
                    generated_tokens = u.generated_tokens, scored_tokens = u.scored_tokens, flops = u.flops, device_milliseconds = u.device_milliseconds
                FROM (SELECT run_id, sum(prompt_tokens) AS prompt_tokens, sum(cached_prompt_tokens) AS cached_prompt_tokens,
                             sum(generated_tokens) AS generated_tokens, sum(scored_tokens) AS scored_tokens, sum(flops) AS flops,
                             sum(device_milliseconds) AS device_milliseconds
                      FROM ttc.compute_usage GROUP BY run_id) u
                WHERE u.run_id = r.id;
                UPDATE ttc.batches b SET runs_ended = e.ended
                FROM (SELECT batch_id, count(*) AS ended FROM ttc.runs WHERE status IN ('completed', 'failed', 'cancelled') GROUP BY batch_id) e
                WHERE e.batch_id = b.id;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "cached_prompt_tokens",
                schema: "ttc",
                table: "runs");

            migrationBuilder.DropColumn(
                name: "device_milliseconds",
                schema: "ttc",
                table: "runs");

            migrationBuilder.DropColumn(
                name: "flops",
                schema: "ttc",
                table: "runs");

            migrationBuilder.DropColumn(
                name: "generated_tokens",
                schema: "ttc",
                table: "runs");

            migrationBuilder.DropColumn(
                name: "prompt_tokens",
                schema: "ttc",
                table: "runs");

            migrationBuilder.DropColumn(
                name: "scored_tokens",
                schema: "ttc",
                table: "runs");

            migrationBuilder.DropColumn(
                name: "runs_ended",
                schema: "ttc",
                table: "batches");
        }
    }
}
