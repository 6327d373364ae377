"""Writes decoder_model_merged.onnx as Optimum's merged decoder is laid out: the graphs without and with
a past in the two branches of one If node chosen by the boolean input use_cache_branch [1]; the
inputs are the with-past graph's (the branch without a past never reads past_key_values); weights the
two graphs share are stored once, in the outer graph."""
import hashlib

import onnx
from onnx import helper, numpy_helper


def _hoist(graphs):
    """Moves every initializer out of the graphs into one list, one tensor per distinct content; references renamed."""
    shared, by_content, taken = [], {}, set()
    for graph in graphs:
        rename = {}
        for t in graph.initializer:
            key = (t.data_type, tuple(t.dims), hashlib.sha256(numpy_helper.to_array(t).tobytes()).hexdigest())
            if key not in by_content:
                name = t.name
                while name in taken:
                    name += "_"
                taken.add(name)
                t2 = onnx.TensorProto()
                t2.CopyFrom(t)
                t2.name = name
                shared.append(t2)
                by_content[key] = name
            rename[t.name] = by_content[key]
        for node in graph.node:
            node.input[:] = [rename.get(n, n) for n in node.input]
        del graph.initializer[:]
    return shared


def _branch(graph, prefix):
    """The graph as an If branch: no inputs (it reads the outer scope), outputs renamed so that they do not clash with the If's."""
    renamed = {o.name: prefix + o.name for o in graph.output}
    nodes = []
    for node in graph.node:
        node.input[:] = [renamed.get(n, n) for n in node.input]
        node.output[:] = [renamed.get(n, n) for n in node.output]
        nodes.append(node)
    outputs = []
    for o in graph.output:
        o2 = onnx.ValueInfoProto()
        o2.CopyFrom(o)
        o2.name = renamed[o.name]
        outputs.append(o2)
    return helper.make_graph(nodes, prefix + "branch", [], outputs)


def merge(no_past_path, with_past_path, out_path):
    no_past = onnx.load(no_past_path)
    with_past = onnx.load(with_past_path)
    shared = _hoist([with_past.graph, no_past.graph])
    cond = helper.make_tensor_value_info("use_cache_branch", onnx.TensorProto.BOOL, [1])
    outputs = [o.name for o in with_past.graph.output]
    node = helper.make_node("If", ["use_cache_branch"], outputs, name="optimum::if",
                            then_branch=_branch(with_past.graph, "with_past_"), else_branch=_branch(no_past.graph, "no_past_"))
    graph = helper.make_graph([node], "merged", list(with_past.graph.input) + [cond], list(with_past.graph.output), initializer=shared)
    model = helper.make_model(graph, opset_imports=with_past.opset_import)
    model.ir_version = with_past.ir_version
    onnx.checker.check_model(model)
    onnx.save(model, out_path)
