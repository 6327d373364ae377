using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Platform.Storage.Migrations
{
    /// <inheritdoc />
    public partial class SweepCells : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "sweep_cells",
                schema: "ttc",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    sweep_id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    strategy = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    n = table.Column<int>(type: "integer", nullable: false),
                    args_json = table.Column<string>(type: "text", nullable: false),
                    status = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    batch_id = table.Column<Guid>(type: "uuid", nullable: true),
                    problems = table.Column<int>(type: "integer", nullable: true),
                    accuracy = table.Column<double>(type: "double precision", nullable: true),
                    generated_tokens = table.Column<long>(type: "bigint", nullable: true),
                    flops = table.Column<double>(type: "double precision", nullable: true),
                    error = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    started_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    completed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_sweep_cells", x => x.id);
                    table.ForeignKey(
                        name: "fk_sweep_cells_sweep_id",
                        column: x => x.sweep_id,
                        principalSchema: "ttc",
                        principalTable: "sweeps",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ux_sweep_cells_sweep_id_name",
                schema: "ttc",
                table: "sweep_cells",
                columns: new[] { "sweep_id", "name" },
                unique: true);

            // Analysts read sweeps with their cells (the roles' other grants are DatabaseRoles.Create's).
            migrationBuilder.Sql("""
                DO $$ BEGIN
                    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'ttc_analyst') THEN GRANT SELECT ON ttc.sweep_cells TO ttc_analyst; END IF;
                    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'ttc_router') THEN GRANT SELECT ON ttc.sweep_cells TO ttc_router; END IF;
                EXCEPTION WHEN insufficient_privilege THEN RAISE NOTICE 'sweep_cells grants skipped: the migrating user lacks the privilege';
                END $$;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "sweep_cells",
                schema: "ttc");
        }
    }
}
