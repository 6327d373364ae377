using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Platform.Storage.Migrations
{
    /// <inheritdoc />
    public partial class CandidateConfidence : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<double>(
                name: "confidence_bottom10",
                schema: "ttc",
                table: "candidates",
                type: "double precision",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "confidence_lowest_group",
                schema: "ttc",
                table: "candidates",
                type: "double precision",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "confidence_mean",
                schema: "ttc",
                table: "candidates",
                type: "double precision",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "confidence_tail",
                schema: "ttc",
                table: "candidates",
                type: "double precision",
                nullable: true);

            migrationBuilder.AddColumn<byte[]>(
                name: "token_log_probs",
                schema: "ttc",
                table: "candidates",
                type: "bytea",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "confidence_bottom10",
                schema: "ttc",
                table: "candidates");

            migrationBuilder.DropColumn(
                name: "confidence_lowest_group",
                schema: "ttc",
                table: "candidates");

            migrationBuilder.DropColumn(
                name: "confidence_mean",
                schema: "ttc",
                table: "candidates");

            migrationBuilder.DropColumn(
                name: "confidence_tail",
                schema: "ttc",
                table: "candidates");

            migrationBuilder.DropColumn(
                name: "token_log_probs",
                schema: "ttc",
                table: "candidates");
        }
    }
}
