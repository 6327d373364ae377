namespace Platform.Inference.Templates;

// The syntax tree of a template: statements (what a tag does) and expressions (what a tag computes).
internal abstract record Node(int Line);

internal sealed record TextNode(int Line, string Text) : Node(Line);

internal sealed record PrintNode(int Line, Expr Value) : Node(Line);

internal sealed record IfNode(int Line, List<(Expr Test, List<Node> Body)> Branches, List<Node>? Else) : Node(Line);

internal sealed record ForNode(int Line, List<string> Targets, Expr Items, Expr? Filter, List<Node> Body, List<Node>? Else) : Node(Line);

/// <summary><c>set name = value</c>, <c>set ns.attr = value</c> (Attribute set) or <c>set a, b = pair</c>.</summary>
internal sealed record SetNode(int Line, List<string> Targets, string? Attribute, Expr Value) : Node(Line);

internal sealed record SetBlockNode(int Line, string Target, List<Node> Body) : Node(Line);

internal sealed record MacroNode(int Line, string Name, List<string> Parameters, List<Expr?> Defaults, List<Node> Body) : Node(Line);

internal sealed record LoopControlNode(int Line, bool Break) : Node(Line);

internal abstract record Expr(int Line);

internal sealed record ConstExpr(int Line, object? Value) : Expr(Line);

internal sealed record NameExpr(int Line, string Name) : Expr(Line);

internal sealed record AttrExpr(int Line, Expr Target, string Name) : Expr(Line);

internal sealed record ItemExpr(int Line, Expr Target, Expr Index) : Expr(Line);

internal sealed record SliceExpr(int Line, Expr Target, Expr? Start, Expr? Stop, Expr? Step) : Expr(Line);

internal sealed record CallExpr(int Line, Expr Callee, List<Expr> Args, List<(string Name, Expr Value)> Kwargs) : Expr(Line);

internal sealed record FilterExpr(int Line, Expr Value, string Name, List<Expr> Args, List<(string Name, Expr Value)> Kwargs) : Expr(Line);

internal sealed record TestExpr(int Line, Expr Value, string Name, List<Expr> Args, bool Negated) : Expr(Line);

internal sealed record UnaryExpr(int Line, string Op, Expr Operand) : Expr(Line);

internal sealed record BinaryExpr(int Line, string Op, Expr Left, Expr Right) : Expr(Line);

internal sealed record CompareExpr(int Line, Expr First, List<(string Op, Expr Right)> Rest) : Expr(Line);

internal sealed record CondExpr(int Line, Expr Test, Expr Then, Expr? Else) : Expr(Line);

internal sealed record ListExpr(int Line, List<Expr> Items, bool Tuple) : Expr(Line);

internal sealed record DictExpr(int Line, List<(Expr Key, Expr Value)> Items) : Expr(Line);
