namespace Platform.Reasoning.Metrics;

public static class PassAtK
{
    /// <summary>
    /// Unbiased estimate of pass@k from n samples of which c are correct (Chen et al. 2021):
    /// 1 - C(n-c, k) / C(n, k), computed as a product to stay exact for large n.
    /// </summary>
    public static double Estimate(int n, int c, int k)
    {
        if (n < 1 || c < 0 || c > n || k < 1 || k > n)
        {
            throw new ArgumentException($"need 0 <= c <= n and 1 <= k <= n (n={n}, c={c}, k={k})");
        }

        if (n - c < k)
        {
            return 1.0;
        }

        var miss = 1.0;
        for (var i = n - c + 1; i <= n; i++)
        {
            miss *= 1.0 - (double)k / i;
        }

        return 1.0 - miss;
    }
}
