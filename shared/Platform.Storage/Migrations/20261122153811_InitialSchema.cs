using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Platform.Storage.Migrations
{
    /// <inheritdoc />
    public partial class InitialSchema : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.EnsureSchema(
                name: "ttc");

            migrationBuilder.CreateTable(
                name: "batches",
                schema: "ttc",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    source = table.Column<string>(type: "character varying(400)", maxLength: 400, nullable: true),
                    status = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    requested_strategy = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    settings_json = table.Column<string>(type: "text", nullable: false),
                    problem_count = table.Column<int>(type: "integer", nullable: false),
                    token_budget = table.Column<long>(type: "bigint", nullable: true),
                    rejection_reason = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    submitted_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    completed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_batches", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "compute_usage",
                schema: "ttc",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    request_id = table.Column<Guid>(type: "uuid", nullable: false),
                    batch_id = table.Column<Guid>(type: "uuid", nullable: false),
                    run_id = table.Column<Guid>(type: "uuid", nullable: false),
                    round = table.Column<int>(type: "integer", nullable: false),
                    kind = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    model = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    prompt_tokens = table.Column<long>(type: "bigint", nullable: false),
                    cached_prompt_tokens = table.Column<long>(type: "bigint", nullable: false),
                    generated_tokens = table.Column<long>(type: "bigint", nullable: false),
                    scored_tokens = table.Column<long>(type: "bigint", nullable: false),
                    flops = table.Column<double>(type: "double precision", nullable: false),
                    device_milliseconds = table.Column<double>(type: "double precision", nullable: false),
                    recorded_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_compute_usage", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "sweeps",
                schema: "ttc",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    key = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    status = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    config_json = table.Column<string>(type: "text", nullable: false),
                    batch_id = table.Column<Guid>(type: "uuid", nullable: true),
                    problem_count = table.Column<int>(type: "integer", nullable: false),
                    started_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    completed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_sweeps", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "problems",
                schema: "ttc",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    batch_id = table.Column<Guid>(type: "uuid", nullable: false),
                    index = table.Column<int>(type: "integer", nullable: false),
                    text = table.Column<string>(type: "text", nullable: false),
                    reference_answer = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true),
                    level = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    subject = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: true),
                    external_id = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_problems", x => x.id);
                    table.ForeignKey(
                        name: "fk_problems_batch_id",
                        column: x => x.batch_id,
                        principalSchema: "ttc",
                        principalTable: "batches",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "policies",
                schema: "ttc",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    version = table.Column<int>(type: "integer", nullable: false),
                    difficulty_bin = table.Column<int>(type: "integer", nullable: false),
                    budget = table.Column<int>(type: "integer", nullable: false),
                    strategy = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    parameters_json = table.Column<string>(type: "text", nullable: false),
                    accuracy = table.Column<double>(type: "double precision", nullable: false),
                    mean_generated_tokens = table.Column<double>(type: "double precision", nullable: false),
                    sweep_id = table.Column<Guid>(type: "uuid", nullable: true),
                    active = table.Column<bool>(type: "boolean", nullable: false),
                    fitted_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_policies", x => x.id);
                    table.ForeignKey(
                        name: "fk_policies_sweep_id",
                        column: x => x.sweep_id,
                        principalSchema: "ttc",
                        principalTable: "sweeps",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                });

            migrationBuilder.CreateTable(
                name: "runs",
                schema: "ttc",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    batch_id = table.Column<Guid>(type: "uuid", nullable: false),
                    problem_id = table.Column<Guid>(type: "uuid", nullable: false),
                    plan_key = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    strategy = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    n = table.Column<int>(type: "integer", nullable: false),
                    plan_json = table.Column<string>(type: "text", nullable: false),
                    difficulty_bin = table.Column<int>(type: "integer", nullable: false),
                    difficulty_score = table.Column<double>(type: "double precision", nullable: false),
                    difficulty_source = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    status = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    current_round = table.Column<int>(type: "integer", nullable: false),
                    answer = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true),
                    correct = table.Column<bool>(type: "boolean", nullable: true),
                    failure_reason = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    completed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_runs", x => x.id);
                    table.ForeignKey(
                        name: "fk_runs_batch_id",
                        column: x => x.batch_id,
                        principalSchema: "ttc",
                        principalTable: "batches",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_runs_problem_id",
                        column: x => x.problem_id,
                        principalSchema: "ttc",
                        principalTable: "problems",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "candidates",
                schema: "ttc",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    run_id = table.Column<Guid>(type: "uuid", nullable: false),
                    key = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    parent_key = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    round = table.Column<int>(type: "integer", nullable: false),
                    text = table.Column<string>(type: "text", nullable: false),
                    step_count = table.Column<int>(type: "integer", nullable: false),
                    token_count = table.Column<int>(type: "integer", nullable: false),
                    finish_reason = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    extracted_answer = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true),
                    score = table.Column<double>(type: "double precision", nullable: true),
                    selected = table.Column<bool>(type: "boolean", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_candidates", x => x.id);
                    table.ForeignKey(
                        name: "fk_candidates_run_id",
                        column: x => x.run_id,
                        principalSchema: "ttc",
                        principalTable: "runs",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "run_rounds",
                schema: "ttc",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    run_id = table.Column<Guid>(type: "uuid", nullable: false),
                    index = table.Column<int>(type: "integer", nullable: false),
                    kind = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    request_id = table.Column<Guid>(type: "uuid", nullable: false),
                    status = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    state_json = table.Column<string>(type: "text", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    completed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_run_rounds", x => x.id);
                    table.ForeignKey(
                        name: "fk_run_rounds_run_id",
                        column: x => x.run_id,
                        principalSchema: "ttc",
                        principalTable: "runs",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "step_scores",
                schema: "ttc",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    candidate_id = table.Column<Guid>(type: "uuid", nullable: false),
                    step_index = table.Column<int>(type: "integer", nullable: false),
                    score = table.Column<double>(type: "double precision", nullable: false),
                    model = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_step_scores", x => x.id);
                    table.ForeignKey(
                        name: "fk_step_scores_candidate_id",
                        column: x => x.candidate_id,
                        principalSchema: "ttc",
                        principalTable: "candidates",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_batches_submitted_at",
                schema: "ttc",
                table: "batches",
                column: "submitted_at");

            migrationBuilder.CreateIndex(
                name: "ux_candidates_run_id_key",
                schema: "ttc",
                table: "candidates",
                columns: new[] { "run_id", "key" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_compute_usage_batch_id",
                schema: "ttc",
                table: "compute_usage",
                column: "batch_id");

            migrationBuilder.CreateIndex(
                name: "ix_compute_usage_run_id",
                schema: "ttc",
                table: "compute_usage",
                column: "run_id");

            migrationBuilder.CreateIndex(
                name: "ux_compute_usage_request_id",
                schema: "ttc",
                table: "compute_usage",
                column: "request_id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_policies_sweep_id",
                schema: "ttc",
                table: "policies",
                column: "sweep_id");

            migrationBuilder.CreateIndex(
                name: "ux_policies_version_difficulty_bin_budget",
                schema: "ttc",
                table: "policies",
                columns: new[] { "version", "difficulty_bin", "budget" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ux_problems_batch_id_index",
                schema: "ttc",
                table: "problems",
                columns: new[] { "batch_id", "index" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ux_run_rounds_request_id",
                schema: "ttc",
                table: "run_rounds",
                column: "request_id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ux_run_rounds_run_id_index_kind",
                schema: "ttc",
                table: "run_rounds",
                columns: new[] { "run_id", "index", "kind" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_runs_batch_id_status",
                schema: "ttc",
                table: "runs",
                columns: new[] { "batch_id", "status" });

            migrationBuilder.CreateIndex(
                name: "ux_runs_problem_id_plan_key",
                schema: "ttc",
                table: "runs",
                columns: new[] { "problem_id", "plan_key" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ux_step_scores_candidate_id_step_index",
                schema: "ttc",
                table: "step_scores",
                columns: new[] { "candidate_id", "step_index" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ux_sweeps_key",
                schema: "ttc",
                table: "sweeps",
                column: "key",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "compute_usage",
                schema: "ttc");

            migrationBuilder.DropTable(
                name: "policies",
                schema: "ttc");

            migrationBuilder.DropTable(
                name: "run_rounds",
                schema: "ttc");

            migrationBuilder.DropTable(
                name: "step_scores",
                schema: "ttc");

            migrationBuilder.DropTable(
                name: "sweeps",
                schema: "ttc");

            migrationBuilder.DropTable(
                name: "candidates",
                schema: "ttc");

            migrationBuilder.DropTable(
                name: "runs",
                schema: "ttc");

            migrationBuilder.DropTable(
                name: "problems",
                schema: "ttc");

            migrationBuilder.DropTable(
                name: "batches",
                schema: "ttc");
        }
    }
}
