"""Source text of the small numpy functions the numpy exporter writes, one per layer kind.

Each snippet is a complete, documented function; the exporter copies only those the model
uses, so the generated module stays short enough to read top to bottom.
"""
from __future__ import annotations

FEATURES = '''
def make_features(x):
    """The 2-D feature transforms, one column each, in the order the network saw them."""
    x1, x2 = x[:, 0], x[:, 1]
    columns = {
        "x1": x1, "x2": x2, "x1^2": x1 * x1, "x2^2": x2 * x2, "x1*x2": x1 * x2,
        "sin(x1)": np.sin(x1), "sin(x2)": np.sin(x2),
    }
    return np.stack([columns[name] for name in FEATURES], axis=1)
'''

STANDARDISE = '''
def standardise(x, mean, std):
    """Centre and scale each input with the training data's mean and standard deviation."""
    return (x - mean) / std
'''

LAYERS = {
    "dense": '''
def dense(x, weight, bias):
    """Fully connected layer: every output is a weighted sum of all inputs plus a bias.

    x is (batch, inputs), weight is (inputs, outputs), bias is (outputs,).
    """
    return x @ weight + bias
''',
    "conv2d": '''
def conv2d(x, weight, bias, stride, padding):
    """2-D convolution as one matrix product (im2col).

    x is (batch, channels, height, width), weight is (filters, channels, kh, kw).
    padding is (top, bottom, left, right) zeros; each output pixel is the dot product of a
    filter with the kh x kw patch under it.
    """
    top, bottom, left, right = padding
    x = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))
    filters, channels, kh, kw = weight.shape
    # patches[n, c, i, j] is the (kh, kw) window whose top-left corner is at pixel (i, j).
    patches = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))
    patches = patches[:, :, ::stride[0], ::stride[1]]
    batch, _, out_h, out_w = patches.shape[:4]
    # One row per output pixel, one column per (channel, ky, kx): then a single GEMM.
    rows = patches.transpose(0, 2, 3, 1, 4, 5).reshape(batch, out_h, out_w, channels * kh * kw)
    out = (rows @ weight.reshape(filters, -1).T).transpose(0, 3, 1, 2)
    return out if bias is None else out + bias[None, :, None, None]
''',
    "maxpool2d": '''
def maxpool2d(x, size, stride):
    """Keep the largest value in each (size) window, moving by stride; no padding."""
    windows = np.lib.stride_tricks.sliding_window_view(x, size, axis=(2, 3))
    return windows[:, :, ::stride[0], ::stride[1]].max(axis=(4, 5))
''',
    "avgpool2d": '''
def avgpool2d(x, size, stride):
    """Average each (size) window, moving by stride; no padding."""
    windows = np.lib.stride_tricks.sliding_window_view(x, size, axis=(2, 3))
    return windows[:, :, ::stride[0], ::stride[1]].mean(axis=(4, 5))
''',
    "flatten": '''
def flatten(x):
    """Lay each sample out as one long vector (channels, then rows, then columns)."""
    return x.reshape(x.shape[0], -1)
''',
    "reshape": '''
def reshape(x, shape):
    """Give each sample a new shape with the same number of values."""
    return x.reshape(x.shape[0], *shape)
''',
    "batchnorm": '''
def batchnorm(x, gamma, beta, running_mean, running_var, eps=1e-5):
    """Batch normalisation at inference: normalise with the statistics seen in training.

    Features (batch, n) are normalised per feature, images (batch, c, h, w) per channel.
    """
    shape = (1, -1, 1, 1) if x.ndim == 4 else (1, -1)
    scale = gamma / np.sqrt(running_var + eps)
    return (x - running_mean.reshape(shape)) * scale.reshape(shape) + beta.reshape(shape)
''',
    "add": '''
def add(*inputs):
    """Element-wise sum of branches with the same shape (skip connections)."""
    total = inputs[0]
    for branch in inputs[1:]:
        total = total + branch
    return total
''',
    "concat": '''
def concat(*inputs):
    """Join branches: features side by side, or images channel after channel (axis 1)."""
    return np.concatenate(inputs, axis=1)
''',
}

ACTIVATIONS = {
    "relu": '''
def relu(x):
    """max(0, x)."""
    return np.maximum(x, 0)
''',
    "leaky_relu": '''
def leaky_relu(x, slope=0.01):
    """x for positive x, a small slope times x otherwise."""
    return np.where(x > 0, x, slope * x)
''',
    "elu": '''
def elu(x, alpha=1.0):
    """x for positive x, alpha * (exp(x) - 1) otherwise."""
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))
''',
    "gelu": '''
def gelu(x):
    """Gaussian error linear unit, tanh approximation (PyTorch's approximate="tanh")."""
    return 0.5 * x * (1 + np.tanh((2 / np.pi) ** 0.5 * (x + 0.044715 * x ** 3)))
''',
    "tanh": '''
def tanh(x):
    """Hyperbolic tangent, between -1 and 1."""
    return np.tanh(x)
''',
    "sigmoid": '''
def sigmoid(x):
    """1 / (1 + exp(-x)), written with tanh so large |x| cannot overflow."""
    return 0.5 * (1 + np.tanh(0.5 * x))
''',
    "softmax": '''
def softmax(x):
    """Probabilities along the last axis; subtracting the max keeps exp from overflowing."""
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
''',
}
