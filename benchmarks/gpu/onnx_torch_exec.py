"""Runs the project's exported ONNX graphs node by node with PyTorch tensors (CPU or CUDA).

For machines whose ONNX Runtime has no CUDA execution provider: the graph file is read directly
(protobuf wire format: the ONNX field numbers the C# exporter writes), every node is executed with
the equivalent torch operation in graph order. It covers the operator set our exporter emits; an
unknown operator is an error. Shape arithmetic stays on the CPU; tensors live on the chosen device.
"""
import struct
import numpy as np
import torch


def _varint(buf, i):
    shift = result = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, i
        shift += 7


def _fields(buf):
    """Yields (field number, wire type, value) of one protobuf message."""
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(buf, i)
        elif wire == 1:
            value, i = buf[i:i + 8], i + 8
        elif wire == 2:
            n, i = _varint(buf, i)
            value, i = buf[i:i + n], i + n
        elif wire == 5:
            value, i = buf[i:i + 4], i + 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
        yield field, wire, value


def _signed(v):
    return v - (1 << 64) if v >= 1 << 63 else v


def _ints(wire, value):
    if wire == 0:
        return [_signed(value)]
    out, i = [], 0
    while i < len(value):
        v, i = _varint(value, i)
        out.append(_signed(v))
    return out


DTYPES = {1: (np.float32, torch.float32), 6: (np.int32, torch.int32), 7: (np.int64, torch.int64), 9: (np.bool_, torch.bool)}


def _tensor(buf):
    dims, dtype, name, raw = [], 1, "", b""
    for f, w, v in _fields(buf):
        if f == 1:
            dims += _ints(w, v)
        elif f == 2:
            dtype = v
        elif f == 8:
            name = bytes(v).decode()
        elif f == 9:
            raw = bytes(v)
    array = np.frombuffer(raw, dtype=DTYPES[dtype][0]).reshape(dims) if dims else np.frombuffer(raw, dtype=DTYPES[dtype][0]).reshape(())
    return name, array


def _attribute(buf):
    name, value = "", None
    for f, w, v in _fields(buf):
        if f == 1:
            name = bytes(v).decode()
        elif f == 2:
            value = struct.unpack("<f", v)[0]
        elif f == 3:
            value = _signed(v)
        elif f == 8:
            value = (value or []) + _ints(w, v)
    return name, value


def load(path):
    data = open(path, "rb").read()
    graph = next(v for f, w, v in _fields(data) if f == 7)
    nodes, initializers, inputs, outputs = [], {}, [], []
    for f, w, v in _fields(graph):
        if f == 1:
            node = {"input": [], "output": [], "attr": {}}
            for nf, nw, nv in _fields(v):
                if nf == 1:
                    node["input"].append(bytes(nv).decode())
                elif nf == 2:
                    node["output"].append(bytes(nv).decode())
                elif nf == 4:
                    node["op"] = bytes(nv).decode()
                elif nf == 5:
                    k, a = _attribute(nv)
                    node["attr"][k] = a
            nodes.append(node)
        elif f == 5:
            name, array = _tensor(v)
            initializers[name] = array
        elif f in (11, 12):
            name = next(bytes(x).decode() for xf, _, x in _fields(v) if xf == 1)
            (inputs if f == 11 else outputs).append(name)
    return Graph(nodes, initializers, inputs, outputs)


class Graph:
    def __init__(self, nodes, initializers, inputs, outputs):
        self.nodes, self.inputs, self.outputs = nodes, inputs, outputs
        self.raw = initializers
        self.device = None

    def to(self, device):
        self.device = torch.device(device)
        # float weights on the device; integer constants (shapes, axes) stay on the CPU
        self.constants = {k: (torch.from_numpy(v.copy()).to(self.device) if v.dtype == np.float32 else torch.from_numpy(v.copy()))
                          for k, v in self.raw.items()}
        return self

    def _same_device(self, a, b):
        if a.device != b.device and a.dim() > 0 and b.dim() > 0:
            return a.to(self.device), b.to(self.device)
        return a, b

    @torch.no_grad()
    def run(self, feeds, wanted=None):
        env = dict(self.constants)
        env.update(feeds)
        for n in self.nodes:
            x = [env[i] if i else None for i in n["input"]]
            a, op = n["attr"], n["op"]
            if op in ("Add", "Sub", "Mul", "Div", "Max", "LessOrEqual", "And"):
                l, r = self._same_device(x[0], x[1])
                y = {"Add": torch.add, "Sub": torch.sub, "Mul": torch.mul, "Div": torch.div, "Max": torch.maximum,
                     "LessOrEqual": torch.le, "And": torch.logical_and}[op](l, r)
            elif op == "Gather":
                y = x[0][x[1]] if x[1].device == x[0].device or x[1].dim() == 0 else x[0][x[1].to(x[0].device)]
            elif op == "Shape":
                y = torch.tensor(list(x[0].shape), dtype=torch.int64)
            elif op == "Range":
                y = torch.arange(int(x[0]), int(x[1]), int(x[2]), dtype=torch.int64)
            elif op == "Unsqueeze":
                y = x[0]
                for axis in sorted(int(v) for v in x[1]):
                    y = y.unsqueeze(axis)
            elif op == "Squeeze":
                y = x[0]
                for axis in sorted((int(v) for v in x[1]), reverse=True):
                    y = y.squeeze(axis)
            elif op == "Cast":
                y = x[0].to(DTYPES[a["to"]][1])
            elif op == "LayerNormalization":
                y = torch.nn.functional.layer_norm(x[0], x[0].shape[-1:], x[1], x[2], a.get("epsilon", 1e-5))
            elif op == "MatMul":
                y = torch.matmul(x[0], x[1])
            elif op == "Split":
                y = torch.split(x[0], [int(v) for v in x[1]], dim=a.get("axis", 0))
            elif op == "Reshape":
                shape = [x[0].shape[i] if int(d) == 0 else int(d) for i, d in enumerate(x[1])]
                y = x[0].reshape(shape)
            elif op == "Transpose":
                y = x[0].permute(a["perm"])
            elif op == "Concat":
                y = torch.cat(x, dim=a["axis"])
            elif op == "Where":
                c, t = self._same_device(x[0], x[1])
                y = torch.where(c, t, x[2].to(t.device))
            elif op == "Softmax":
                y = torch.softmax(x[0], dim=a.get("axis", -1))
            elif op == "Erf":
                y = torch.erf(x[0])
            elif op == "Sigmoid":
                y = torch.sigmoid(x[0])
            elif op == "CumSum":
                y = torch.cumsum(x[0], dim=int(x[1]))
            else:
                raise NotImplementedError(f"operator {op} is not supported by this executor")
            if isinstance(y, (tuple, list)):
                env.update(zip(n["output"], y))
            else:
                env[n["output"][0]] = y
        return [env[o] for o in (wanted or self.outputs)]
