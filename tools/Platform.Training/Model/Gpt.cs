using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Platform.Training.Model;

/// <summary>
/// The decoder the project trains (and exports to ONNX with <see cref="Onnx.OnnxExporter"/>). Parameter
/// names (<c>tok_emb.weight</c>, <c>blocks.0.attn_in.weight</c>, ...) are the exporter's contract.
/// </summary>
public sealed class Gpt : nn.Module
{
    private readonly Embedding tok_emb;
    private readonly Embedding pos_emb;
    private readonly ModuleList<Block> blocks;
    private readonly LayerNorm ln_f;
    private readonly Linear head;

    public GptConfig Config { get; }

    public Gpt(GptConfig config) : base("gpt")
    {
        config.Validate();
        Config = config;
        tok_emb = nn.Embedding(config.VocabSize, config.DModel);
        pos_emb = nn.Embedding(config.Context, config.DModel);
        blocks = nn.ModuleList(Enumerable.Range(0, config.Layers).Select(_ => new Block(config)).ToArray());
        ln_f = nn.LayerNorm(config.DModel);
        head = config.ScoreHead ? nn.Linear(config.DModel, 1, hasBias: true) : nn.Linear(config.DModel, config.VocabSize, hasBias: false);
        RegisterComponents();
        InitWeights();
    }

    private void InitWeights()
    {
        using var _ = no_grad();
        foreach (var (name, p) in named_parameters())
        {
            if (name.EndsWith("bias", StringComparison.Ordinal))
            {
                p.zero_();
            }
            else if (name.StartsWith("ln", StringComparison.Ordinal) || name.Contains(".ln", StringComparison.Ordinal))
            {
                p.fill_(1.0);
            }
            else
            {
                // GPT-2 initialisation; residual output projections scaled by depth.
                var std = name.EndsWith("attn_out.weight", StringComparison.Ordinal) || name.EndsWith("mlp_out.weight", StringComparison.Ordinal)
                    ? 0.02 / Math.Sqrt(2.0 * Config.Layers)
                    : 0.02;
                nn.init.normal_(p, 0, std);
            }
        }
    }

    /// <summary>
    /// Training path: right-padded batches, positions 0..S-1, causal attention only. Returns logits
    /// [B, S, V] (or raw scores [B, S] for a score head).
    /// </summary>
    public Tensor Forward(Tensor ids)
    {
        var positions = arange(ids.shape[1], dtype: ScalarType.Int64).unsqueeze(0);
        var x = tok_emb.forward(ids) + pos_emb.forward(positions);
        foreach (var block in blocks)
        {
            x = block.Forward(x, mask: null);
        }

        return Head(x);
    }

    /// <summary>
    /// The full-semantics path the ONNX graph implements: explicit positions and a key mask
    /// (1 = real token) combined with causality; masked scores are -1e9 before the softmax.
    /// </summary>
    public Tensor Forward(Tensor ids, Tensor positions, Tensor keyMask)
    {
        var s = ids.shape[1];
        var causal = ones(s, s, dtype: ScalarType.Bool).tril();
        var allowed = causal.unsqueeze(0).unsqueeze(0).logical_and(keyMask.to_type(ScalarType.Bool).unsqueeze(1).unsqueeze(1));
        var x = tok_emb.forward(ids) + pos_emb.forward(positions);
        foreach (var block in blocks)
        {
            x = block.Forward(x, allowed);
        }

        return Head(x);
    }

    private Tensor Head(Tensor x)
    {
        var y = head.forward(ln_f.forward(x));
        return Config.ScoreHead ? y.squeeze(-1) : y;
    }

    private sealed class Block : nn.Module
    {
        private readonly LayerNorm ln1;
        private readonly Linear attn_in;
        private readonly Linear attn_out;
        private readonly LayerNorm ln2;
        private readonly Linear mlp_in;
        private readonly Linear mlp_out;
        private readonly int _heads;
        private readonly int _headDim;

        public Block(GptConfig c) : base("block")
        {
            _heads = c.Heads;
            _headDim = c.HeadDim;
            ln1 = nn.LayerNorm(c.DModel);
            attn_in = nn.Linear(c.DModel, 3 * c.DModel);
            attn_out = nn.Linear(c.DModel, c.DModel);
            ln2 = nn.LayerNorm(c.DModel);
            mlp_in = nn.Linear(c.DModel, c.DFF);
            mlp_out = nn.Linear(c.DFF, c.DModel);
            RegisterComponents();
        }

        /// <param name="mask">null: causal; otherwise a boolean [B, 1, S, S] of allowed query-key pairs.</param>
        public Tensor Forward(Tensor x, Tensor? mask)
        {
            long b = x.shape[0], s = x.shape[1], d = x.shape[2];
            var qkv = attn_in.forward(ln1.forward(x)).view(b, s, 3, _heads, _headDim).permute(2, 0, 3, 1, 4);
            var (q, k, v) = (qkv[0], qkv[1], qkv[2]);
            Tensor o;
            if (mask is null)
            {
                o = nn.functional.scaled_dot_product_attention(q, k, v, is_casual: true);
            }
            else
            {
                var scores = matmul(q, k.transpose(-2, -1)) * (1.0 / Math.Sqrt(_headDim));
                scores = where(mask, scores, tensor(-1e9f));
                o = matmul(scores.softmax(-1), v);
            }

            x = x + attn_out.forward(o.transpose(1, 2).reshape(b, s, d));
            return x + mlp_out.forward(nn.functional.gelu(mlp_in.forward(ln2.forward(x))));
        }
    }
}
