using Platform.Reasoning.Batching;

namespace Platform.UnitTests.Reasoning;

public sealed class PaddingChunksTests
{
    private static string Split(string lengths, int maxRows, double maxPadding, int minRows) =>
        string.Join(" | ", PaddingChunks.Split(lengths.Split(',').Select(int.Parse).ToArray(), n => n, maxRows, maxPadding, minRows).Select(c => string.Join(",", c)));

    [Theory]
    [InlineData("10,10,10,10", 64, 0.1, 1, "10,10,10,10")]                  // equal lengths never pad
    [InlineData("10,10,10,10", 3, 0.1, 1, "10,10,10 | 10")]                 // at most maxRows
    [InlineData("10,10,11,30", 64, 0.1, 1, "10,10,11 | 30")]                // 4 x 30 = 120 against 61 real: closes
    [InlineData("10,10,11,30", 64, 1.0, 1, "10,10,11,30")]                  // 59 padded <= 1.0 x 61 real: stays
    [InlineData("10,20,40", 64, 0.1, 1, "10 | 20 | 40")]
    [InlineData("10,20,40", 64, 0.1, 2, "10,20 | 40")]                       // a chunk below minRows takes any padding
    [InlineData("5", 64, 0.0, 1, "5")]
    public void Chunks_close_before_padding_passes_the_limit(string lengths, int maxRows, double maxPadding, int minRows, string expected)
    {
        Assert.Equal(expected, Split(lengths, maxRows, maxPadding, minRows));
    }

    [Fact]
    public void Every_row_lands_in_exactly_one_chunk_in_order()
    {
        var rows = Enumerable.Range(0, 500).Select(i => 11 + (i * 7919 % 88)).Order().ToArray();
        var chunks = PaddingChunks.Split(rows, n => n, 64, 0.1, 8).ToList();
        Assert.Equal(rows, chunks.SelectMany(c => c));
        Assert.All(chunks, c => Assert.InRange(c.Length, 1, 64));
        // A chunk that had minRows rows before its last one pads at most the limit.
        Assert.All(chunks.Where(c => c.Length > 8), c => Assert.True(c.Max() * (long)c.Length - c.Sum() <= 0.1 * c.Sum() + 1e-9));
        Assert.True(chunks.Count < rows.Length / 8, $"{chunks.Count} chunks for {rows.Length} rows of 88 lengths");
    }

    [Fact]
    public void Unsorted_rows_are_refused()
    {
        Assert.Throws<ArgumentException>(() => PaddingChunks.Split(new[] { 5, 3 }, n => n, 64, 0.1).ToList());
    }
}
