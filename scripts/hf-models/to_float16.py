"""Turns a float32 decoder folder (as make_models.py or train_arith.py write it) into the half-precision
export `optimum-cli export onnx --dtype fp16` gives: every float tensor of the graph in float16 — weights,
constants, casts, past_key_values, present and logits — and config.json's torch_dtype "float16". The
other files are copied. ONNX Runtime's CPU provider runs such a graph (slowly); it is the test of the
runtime's float16 path, the cache kept in the graph's type.

    python3 scripts/hf-models/to_float16.py SRC_DIR DST_DIR
"""
import json
import pathlib
import shutil
import sys

import numpy as np
import onnx
from onnx import TensorProto, numpy_helper

FLOAT, HALF = TensorProto.FLOAT, TensorProto.FLOAT16


def _half(tensor):
    # Masking constants such as float32's lowest become float16's lowest, as a float16 export writes them (not -inf).
    limit = float(np.finfo(np.float16).max)
    out = numpy_helper.from_array(np.clip(numpy_helper.to_array(tensor), -limit, limit).astype(np.float16), tensor.name)
    tensor.CopyFrom(out)


def _types(values):
    for v in values:
        if v.type.tensor_type.elem_type == FLOAT:
            v.type.tensor_type.elem_type = HALF


def _graph(graph):
    for t in graph.initializer:
        if t.data_type == FLOAT:
            _half(t)
    _types(graph.input)
    _types(graph.output)
    _types(graph.value_info)
    for node in graph.node:
        for a in node.attribute:
            if node.op_type == "Cast" and a.name == "to" and a.i == FLOAT:
                a.i = HALF
            elif a.type == onnx.AttributeProto.TENSOR and a.t.data_type == FLOAT:
                _half(a.t)
            elif a.type == onnx.AttributeProto.GRAPH:
                _graph(a.g)


def convert(model):
    """The model with every float tensor in float16 (in place), checked."""
    _graph(model.graph)
    onnx.checker.check_model(model)
    return model


def main(src, dst):
    src, dst = pathlib.Path(src), pathlib.Path(dst)
    shutil.rmtree(dst, ignore_errors=True)
    dst.mkdir(parents=True)
    for f in src.iterdir():
        if f.name not in ("model.onnx", "model.onnx_data", "decoder_model_merged.onnx", "parity.json", "training.json"):
            shutil.copy(f, dst / f.name)
    model = convert(onnx.load(str(src / "model.onnx")))
    onnx.save_model(model, str(dst / "model.onnx"))
    config = json.loads((src / "config.json").read_text(encoding="utf-8"))
    config["torch_dtype"] = "float16"
    (dst / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    print(f"{src} -> {dst} (float16)")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
