"""The textbook equations in numpy: the independent reference for the kit cells."""

import numpy as np


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def vanilla_step(x, h, kernel, recurrent_kernel, bias):
    """h_t = tanh(x_t W + h_{t-1} U + b)."""
    h = np.tanh(x @ kernel + h @ recurrent_kernel + bias)
    return h, [h]


def additive_step(x, h, c, kernel, recurrent_kernel, bias):
    """c_t = c_{t-1} + tanh(x_t W + h_{t-1} U + b); h_t = tanh(c_t)."""
    c = c + np.tanh(x @ kernel + h @ recurrent_kernel + bias)
    h = np.tanh(c)
    return h, [h, c]


def original_lstm_step(x, h, c, kernel, recurrent_kernel, bias):
    """Hochreiter & Schmidhuber 1997, gates [i, g, o], no forget gate."""
    z = x @ kernel + h @ recurrent_kernel + bias
    z_i, z_g, z_o = np.split(z, 3, axis=-1)
    i, g, o = sigmoid(z_i), np.tanh(z_g), sigmoid(z_o)
    c = c + i * g
    h = o * np.tanh(c)
    return h, [h, c]


def lstm_step(x, h, c, kernel, recurrent_kernel, bias):
    """Gers et al. 2000, gates [i, f, g, o]."""
    z = x @ kernel + h @ recurrent_kernel + bias
    z_i, z_f, z_g, z_o = np.split(z, 4, axis=-1)
    i, f, g, o = sigmoid(z_i), sigmoid(z_f), np.tanh(z_g), sigmoid(z_o)
    c = f * c + i * g
    h = o * np.tanh(c)
    return h, [h, c]


STEPS = {
    "vanilla": vanilla_step,
    "additive": additive_step,
    "original_lstm": original_lstm_step,
    "lstm": lstm_step,
}


def run_sequence(name, inputs, weights, state_count):
    """Runs a cell's numpy step over `inputs` `(batch, time, features)`.

    Returns:
        `(outputs (batch, time, units), final_states list)`.
    """
    kernel, recurrent_kernel, bias = weights
    batch, units = inputs.shape[0], recurrent_kernel.shape[0]
    states = [np.zeros((batch, units)) for _ in range(state_count)]
    outputs = []
    for t in range(inputs.shape[1]):
        h, states = STEPS[name](inputs[:, t], *states, kernel, recurrent_kernel, bias)
        outputs.append(h)
    return np.stack(outputs, axis=1), states
