using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Platform.Storage.Migrations
{
    /// <summary>Quartz's job store tables for the nightly sweeps, and the policy version a sweep was fitted to.</summary>
    public partial class NightlySweeps : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "policy_version",
                schema: "ttc",
                table: "sweeps",
                type: "integer",
                nullable: true);

            // The Routers' clustered Quartz scheduler (nightly sweep and policy-fit jobs) and the Router's new grants.
            foreach (var statement in QuartzTables.CreateStatements())
            {
                migrationBuilder.Sql(statement);
            }

            migrationBuilder.Sql(QuartzTables.Grants);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(QuartzTables.Drop);
            migrationBuilder.DropColumn(
                name: "policy_version",
                schema: "ttc",
                table: "sweeps");
        }
    }
}
