using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Platform.Storage.Migrations
{
    /// <summary>Views only (no model change, so no target model): the scaling curve and accuracy by difficulty source and bin.</summary>
    [DbContext(typeof(PlatformDbContext))]
    [Migration("20261123161500_ScalingViews")]
    public partial class ScalingViews : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(Storage.ScalingViews.Create);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(Storage.ScalingViews.Drop);
        }
    }
}
