using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Platform.Storage.Migrations
{
    /// <inheritdoc />
    public partial class PipelineRecords : Migration
    {
        /// <summary>
        /// The analyst views as this migration created them, before the verifier's prefix cache (issue 29) added
        /// cached_scored_tokens; frozen here so that the migration replays unchanged on a new database.
        /// </summary>
        internal const string Views = """
            CREATE VIEW ttc.run_results AS
            SELECT r.id AS run_id, r.batch_id, p.index AS problem_index, p.external_id, p.level, p.subject,
                   r.strategy, r.n, r.difficulty_bin, r.difficulty_score, r.difficulty_source, r.status,
                   r.answer, p.reference_answer, r.correct, r.failure_reason,
                   COALESCE(u.requests, 0) AS requests,
                   COALESCE(u.prompt_tokens, 0) AS prompt_tokens,
                   COALESCE(u.cached_prompt_tokens, 0) AS cached_prompt_tokens,
                   COALESCE(u.generated_tokens, 0) AS generated_tokens,
                   COALESCE(u.scored_tokens, 0) AS scored_tokens,
                   COALESCE(u.flops, 0) AS flops,
                   COALESCE(u.device_milliseconds, 0) AS device_milliseconds,
                   r.created_at, r.completed_at
            FROM ttc.runs r
            JOIN ttc.problems p ON p.id = r.problem_id
            LEFT JOIN (
                SELECT run_id, count(*) AS requests, sum(prompt_tokens) AS prompt_tokens,
                       sum(cached_prompt_tokens) AS cached_prompt_tokens, sum(generated_tokens) AS generated_tokens,
                       sum(scored_tokens) AS scored_tokens, sum(flops) AS flops, sum(device_milliseconds) AS device_milliseconds
                FROM ttc.compute_usage GROUP BY run_id
            ) u ON u.run_id = r.id;

            CREATE VIEW ttc.batch_compute AS
            SELECT b.id AS batch_id, b.name, b.status, b.problem_count,
                   count(rr.run_id) AS runs,
                   count(*) FILTER (WHERE rr.status = 'completed') AS completed,
                   count(*) FILTER (WHERE rr.status = 'failed') AS failed,
                   count(*) FILTER (WHERE rr.correct) AS correct,
                   avg(CASE WHEN rr.correct THEN 1.0 ELSE 0.0 END) FILTER (WHERE rr.correct IS NOT NULL) AS accuracy,
                   COALESCE(sum(rr.prompt_tokens), 0) AS prompt_tokens,
                   COALESCE(sum(rr.cached_prompt_tokens), 0) AS cached_prompt_tokens,
                   COALESCE(sum(rr.generated_tokens), 0) AS generated_tokens,
                   COALESCE(sum(rr.scored_tokens), 0) AS scored_tokens,
                   COALESCE(sum(rr.flops), 0) AS flops,
                   COALESCE(sum(rr.device_milliseconds), 0) AS device_milliseconds,
                   b.submitted_at, b.completed_at,
                   extract(epoch FROM b.completed_at - b.submitted_at) AS wall_seconds
            FROM ttc.batches b
            LEFT JOIN ttc.run_results rr ON rr.batch_id = b.id
            GROUP BY b.id;

            CREATE VIEW ttc.accuracy_by_strategy AS
            SELECT strategy, n, difficulty_bin, count(*) AS runs,
                   avg(CASE WHEN correct THEN 1.0 ELSE 0.0 END) FILTER (WHERE correct IS NOT NULL) AS accuracy,
                   avg(generated_tokens) AS mean_generated_tokens, avg(flops) AS mean_flops
            FROM ttc.run_results
            WHERE status = 'completed'
            GROUP BY strategy, n, difficulty_bin;
            """;

        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "request_json",
                schema: "ttc",
                table: "run_rounds",
                type: "text",
                nullable: true);

            migrationBuilder.Sql(Views);
            migrationBuilder.Sql(AnalystViews.Roles);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(AnalystViews.Drop);
            migrationBuilder.DropColumn(
                name: "request_json",
                schema: "ttc",
                table: "run_rounds");
        }
    }
}
