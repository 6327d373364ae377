using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Platform.Storage.Migrations
{
    /// <inheritdoc />
    public partial class OpenAiApi : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "openai_batches",
                schema: "ttc",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    input_file_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    endpoint = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    completion_window = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    model = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: false),
                    all_samples = table.Column<bool>(type: "boolean", nullable: false),
                    metadata_json = table.Column<string>(type: "text", nullable: true),
                    request_total = table.Column<int>(type: "integer", nullable: false),
                    error_count = table.Column<int>(type: "integer", nullable: false),
                    submitter = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    claimed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    validated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_openai_batches", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "openai_files",
                schema: "ttc",
                columns: table => new
                {
                    id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    purpose = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    file_name = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    bytes = table.Column<long>(type: "bigint", nullable: false),
                    line_count = table.Column<int>(type: "integer", nullable: false),
                    submitter = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_openai_files", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "openai_batch_errors",
                schema: "ttc",
                columns: table => new
                {
                    batch_id = table.Column<Guid>(type: "uuid", nullable: false),
                    line = table.Column<int>(type: "integer", nullable: false),
                    custom_id = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    code = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    message = table.Column<string>(type: "text", nullable: false),
                    param = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_openai_batch_errors", x => new { x.batch_id, x.line });
                    table.ForeignKey(
                        name: "fk_openai_batch_errors_batch_id",
                        column: x => x.batch_id,
                        principalSchema: "ttc",
                        principalTable: "openai_batches",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "openai_file_lines",
                schema: "ttc",
                columns: table => new
                {
                    file_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    line = table.Column<int>(type: "integer", nullable: false),
                    text = table.Column<string>(type: "text", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_openai_file_lines", x => new { x.file_id, x.line });
                    table.ForeignKey(
                        name: "fk_openai_file_lines_file_id",
                        column: x => x.file_id,
                        principalSchema: "ttc",
                        principalTable: "openai_files",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_openai_batches_created_at",
                schema: "ttc",
                table: "openai_batches",
                column: "created_at",
                filter: "validated_at IS NULL");

            migrationBuilder.CreateIndex(
                name: "ix_openai_batches_submitter_created_at",
                schema: "ttc",
                table: "openai_batches",
                columns: new[] { "submitter", "created_at" });

            migrationBuilder.CreateIndex(
                name: "ix_openai_files_submitter_created_at",
                schema: "ttc",
                table: "openai_files",
                columns: new[] { "submitter", "created_at" });

            // The Router keeps the OpenAI-compatible API's files and batches and reads the candidates its responses quote;
            // analysts read the batches and their refused lines (the roles' other grants are DatabaseRoles.Create's).
            migrationBuilder.Sql("""
                DO $$ BEGIN
                    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'ttc_router') THEN
                        GRANT SELECT, INSERT, UPDATE, DELETE ON ttc.openai_files, ttc.openai_file_lines, ttc.openai_batches, ttc.openai_batch_errors TO ttc_router;
                        GRANT SELECT ON ttc.candidates TO ttc_router;
                    END IF;
                    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'ttc_analyst') THEN GRANT SELECT ON ttc.openai_batches, ttc.openai_batch_errors TO ttc_analyst; END IF;
                EXCEPTION WHEN insufficient_privilege THEN RAISE NOTICE 'openai grants skipped: the migrating user lacks the privilege';
                END $$;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "openai_batch_errors",
                schema: "ttc");

            migrationBuilder.DropTable(
                name: "openai_file_lines",
                schema: "ttc");

            migrationBuilder.DropTable(
                name: "openai_batches",
                schema: "ttc");

            migrationBuilder.DropTable(
                name: "openai_files",
                schema: "ttc");
        }
    }
}
