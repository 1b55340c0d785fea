"""ONNX export through the ``onnx`` helper API: one readable node (or a few) per layer.

Node and tensor names are the layer ids, so the graph reads like the project in Netron.
Opset 17 and IR version 10 keep current onnxruntime releases able to load the file.
"""
from __future__ import annotations

import math

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from engine.export.plan import (BATCHNORM_EPS, ELU_ALPHA, LEAKY_RELU_SLOPE, ExportPlan, Step,
                                pair, pool_stride)

OPSET = 17
IR_VERSION = 10
INPUT_NAME = "input"
OUTPUT_NAME = "output"


class _GraphBuilder:
    """Collects nodes and initializers; hands out unique tensor names."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self.used: set[str] = {INPUT_NAME, OUTPUT_NAME}

    def unique(self, name: str) -> str:
        """``name``, or ``name_2``... when taken."""
        candidate, k = name, 2
        while candidate in self.used:
            candidate = f"{name}_{k}"
            k += 1
        self.used.add(candidate)
        return candidate

    def const(self, name: str, value: np.ndarray, dtype=np.float32) -> str:
        """Add an initializer and return its name."""
        name = self.unique(name)
        self.initializers.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    def node(self, op: str, inputs: list[str], name: str, **attributes) -> str:
        """Add a node with one output named like the node; return the output name."""
        out = self.unique(name)
        self.nodes.append(helper.make_node(op, inputs, [out], name=out, **attributes))
        return out


def build_onnx(plan: ExportPlan) -> onnx.ModelProto:
    """The plan as a checked ONNX model taking raw samples and returning ``predict``'s output."""
    graph = _GraphBuilder()
    outputs = {"input": _preprocess(graph, plan)}
    for step in plan.steps:
        outputs[step.id] = _layer(graph, step, [outputs[i] for i in step.inputs])
    result = outputs[plan.output_id]
    if plan.flattens_output:
        result = graph.node("Flatten", [result], "flatten_output", axis=1)
    if plan.final_activation == "sigmoid":
        result = graph.node("Sigmoid", [result], "probability")
    elif plan.final_activation == "softmax":
        result = graph.node("Softmax", [result], "probabilities", axis=-1)
    if plan.two_column:
        one = graph.const("one", np.ones((1, 1)))
        complement = graph.node("Sub", [one, result], "probability_of_class_0")
        result = graph.node("Concat", [complement, result], "probabilities", axis=1)
    graph.nodes.append(helper.make_node("Identity", [result], [OUTPUT_NAME], name=OUTPUT_NAME))
    batch = "batch"
    input_info = helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT,
                                               [batch, *plan.raw_shape])
    output_info = helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT,
                                                [batch, plan.result_width])
    onnx_graph = helper.make_graph(graph.nodes, _graph_name(plan.name), [input_info],
                                   [output_info], initializer=graph.initializers)
    model = helper.make_model(onnx_graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="LayerLab")
    model.ir_version = IR_VERSION
    model.doc_string = _doc(plan)
    # Shape inference records every intermediate shape, so Netron shows them on the edges.
    model = onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    onnx.checker.check_model(model, full_check=True)
    return model


def onnx_bytes(plan: ExportPlan) -> bytes:
    """The serialized ONNX model."""
    return build_onnx(plan).SerializeToString()


def _graph_name(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name) or "model"


def _doc(plan: ExportPlan) -> str:
    what = (f"class probabilities for {', '.join(plan.classes)}" if plan.classes
            else ("class probabilities" if plan.task == "classification" else "values"))
    return (f"LayerLab model {plan.name!r}: input {INPUT_NAME} (batch, "
            f"{', '.join(map(str, plan.raw_shape))}) raw samples; output {OUTPUT_NAME}: {what}.")


def _preprocess(graph: _GraphBuilder, plan: ExportPlan) -> str:
    """Feature transforms, then standardisation, as in the engine's Preprocessor."""
    x = INPUT_NAME
    if plan.features is not None:
        columns = [graph.unique("x1"), graph.unique("x2")]
        graph.nodes.append(helper.make_node("Split", [x, graph.const("split_sizes", [1, 1],
                                                                     np.int64)],
                                            columns, name="split_x1_x2", axis=1))
        made = [_feature(graph, name, columns) for name in plan.features]
        x = made[0] if len(made) == 1 else graph.node("Concat", made, "features", axis=1)
    if not (np.all(plan.mean == 0.0) and np.all(plan.std == 1.0)):
        mean = graph.const("input_mean", plan.mean[None])
        std = graph.const("input_std", plan.std[None])
        centred = graph.node("Sub", [x, mean], "centre")
        x = graph.node("Div", [centred, std], "standardised")
    return x


def _feature(graph: _GraphBuilder, name: str, columns: list[str]) -> str:
    x1, x2 = columns
    label = name.replace("^2", "_squared").replace("*", "_times_").replace("(", "_").replace(
        ")", "")
    if name == "x1":
        return graph.node("Identity", [x1], "feature_x1")
    if name == "x2":
        return graph.node("Identity", [x2], "feature_x2")
    if name == "x1^2":
        return graph.node("Mul", [x1, x1], f"feature_{label}")
    if name == "x2^2":
        return graph.node("Mul", [x2, x2], f"feature_{label}")
    if name == "x1*x2":
        return graph.node("Mul", [x1, x2], f"feature_{label}")
    if name == "sin(x1)":
        return graph.node("Sin", [x1], f"feature_{label}")
    return graph.node("Sin", [x2], f"feature_{label}")


def _layer(graph: _GraphBuilder, step: Step, inputs: list[str]) -> str:
    """Nodes for one layer; returns the name of the layer's output tensor."""
    lid, kind, w, s = step.id, step.kind, step.weights, step.settings
    has_activation = kind in ("dense", "conv2d") and step.activation != "linear"
    core = f"{lid}/linear" if has_activation else lid
    if kind == "dense":
        weight = graph.const(f"{lid}.weight", w["weight"])
        if "bias" in w:
            out = graph.node("Gemm", [inputs[0], weight, graph.const(f"{lid}.bias", w["bias"])],
                             core)
        else:
            out = graph.node("MatMul", [inputs[0], weight], core)
    elif kind == "conv2d":
        args = [inputs[0], graph.const(f"{lid}.weight", w["weight"])]
        if "bias" in w:
            args.append(graph.const(f"{lid}.bias", w["bias"]))
        top, bottom, left, right = step.same_padding()
        kernel = list(pair(s["kernel_size"]))
        out = graph.node("Conv", args, core, kernel_shape=kernel,
                         strides=list(pair(s.get("stride", 1))), pads=[top, left, bottom, right])
    elif kind in ("maxpool2d", "avgpool2d"):
        op = "MaxPool" if kind == "maxpool2d" else "AveragePool"
        out = graph.node(op, inputs, lid, kernel_shape=list(pair(s["pool_size"])),
                         strides=list(pool_stride(s)))
    elif kind == "flatten":
        out = graph.node("Flatten", inputs, lid, axis=1)
    elif kind == "reshape":
        shape = graph.const(f"{lid}.shape", [0, *step.output_shape], np.int64)
        out = graph.node("Reshape", [inputs[0], shape], lid)
    elif kind == "dropout":
        # Dropout is off at inference: the layer passes its input through unchanged.
        out = graph.node("Identity", inputs, lid)
    elif kind == "batchnorm":
        out = graph.node("BatchNormalization", [
            inputs[0], graph.const(f"{lid}.gamma", w["gamma"]),
            graph.const(f"{lid}.beta", w["beta"]),
            graph.const(f"{lid}.running_mean", w["running_mean"]),
            graph.const(f"{lid}.running_var", w["running_var"])], lid, epsilon=BATCHNORM_EPS)
    elif kind == "add":
        out = graph.node("Sum", inputs, lid)
    elif kind == "concat":
        # Concat joins features of 1-D samples and channels of images: axis 1 of the batch.
        out = graph.node("Concat", inputs, lid, axis=1)
    elif kind == "activation":
        return _activation(graph, step.activation, inputs[0], lid)
    else:
        raise ValueError(f"layer type {kind!r} has no ONNX form")
    if has_activation:
        return _activation(graph, step.activation, out, lid)
    return out


def _activation(graph: _GraphBuilder, name: str, x: str, lid: str) -> str:
    """An activation's nodes; the final output carries the layer id."""
    if name == "linear":
        return graph.node("Identity", [x], lid)
    if name == "relu":
        return graph.node("Relu", [x], lid)
    if name == "leaky_relu":
        return graph.node("LeakyRelu", [x], lid, alpha=LEAKY_RELU_SLOPE)
    if name == "elu":
        return graph.node("Elu", [x], lid, alpha=ELU_ALPHA)
    if name == "tanh":
        return graph.node("Tanh", [x], lid)
    if name == "sigmoid":
        return graph.node("Sigmoid", [x], lid)
    if name == "softmax":
        return graph.node("Softmax", [x], lid, axis=-1)
    if name == "gelu":
        # Opset 17 has no Gelu: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), as PyTorch's
        # approximate="tanh".
        cube = graph.node("Mul", [graph.node("Mul", [x, x], f"{lid}/gelu/x2"), x],
                          f"{lid}/gelu/x3")
        inner = graph.node("Add", [x, graph.node("Mul", [cube, graph.const(
            f"{lid}/gelu/c", np.float32(0.044715))], f"{lid}/gelu/cx3")], f"{lid}/gelu/sum")
        scaled = graph.node("Mul", [inner, graph.const(
            f"{lid}/gelu/k", np.float32(math.sqrt(2.0 / math.pi)))], f"{lid}/gelu/scaled")
        tanh = graph.node("Tanh", [scaled], f"{lid}/gelu/tanh")
        one_plus = graph.node("Add", [tanh, graph.const(f"{lid}/gelu/one", np.float32(1.0))],
                              f"{lid}/gelu/one_plus")
        half_x = graph.node("Mul", [x, graph.const(f"{lid}/gelu/half", np.float32(0.5))],
                            f"{lid}/gelu/half_x")
        return graph.node("Mul", [half_x, one_plus], lid)
    raise ValueError(f"activation {name!r} has no ONNX form")
