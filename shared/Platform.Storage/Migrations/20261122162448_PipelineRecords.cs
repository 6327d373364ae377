using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Platform.Storage.Migrations
{
    /// <inheritdoc />
    public partial class PipelineRecords : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "request_json",
                schema: "ttc",
                table: "run_rounds",
                type: "text",
                nullable: true);

            migrationBuilder.Sql(AnalystViews.CreateWithoutCachedScoredTokens);
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
