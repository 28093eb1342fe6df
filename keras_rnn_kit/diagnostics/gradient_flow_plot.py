"""The gradient-flow plot: ∥∂L/∂s_t∥ against t on a log scale (Agg, PNG)."""

import os

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from keras_rnn_kit.diagnostics.fonts import plot_font_families
from keras_rnn_kit.diagnostics.state_gradients import check_flows


def gradient_flow_figure(flows: dict, title: str = "Gradient flow through time"):
    """Draws `{label: gradient_flow array}` on a log-scale axis.

    Args:
        flows: dict from a cell label to a 1-D array, entry `t - 1` being
            `∥∂L/∂s_t∥` (see `gradient_flow`). Labels and title may mix
            scripts (CJK glyphs come from `diagnostics.fonts`).
        title: the figure title.

    Returns:
        A `matplotlib.figure.Figure` (Agg canvas; no pyplot state is touched).

    Example:

    >>> import numpy as np
    >>> from keras_rnn_kit.diagnostics import gradient_flow_figure
    >>> figure = gradient_flow_figure({"vanilla": np.logspace(-9, 0, 10)})
    >>> figure.axes[0].get_yscale()
    'log'
    """
    flows = check_flows(flows)
    families = plot_font_families()
    figure = Figure(figsize=(7, 4.5), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    for name, flow in flows.items():
        steps = range(1, len(flow) + 1)
        axes.plot(steps, flow, label=name, linewidth=1.6)
    axes.set_yscale("log")
    axes.set_xlabel("time step t")
    axes.set_ylabel("∥∂L/∂s_t∥ (batch mean)")
    axes.set_title(title, fontfamily=families)
    axes.grid(True, which="major", alpha=0.3)
    axes.legend(prop={"family": families})
    figure.tight_layout()
    return figure


def plot_gradient_flow(
    flows: dict, path: str, title: str = "Gradient flow through time"
) -> str:
    """Writes the log-scale gradient-flow plot of `flows` to a PNG file.

    Args:
        flows: dict from a cell label to a `gradient_flow` array.
        path: where to write the PNG (missing parent folders are created).
        title: the figure title.

    Returns:
        `path`.

    Example:

    >>> import os, tempfile
    >>> from keras_rnn_kit.diagnostics import gradient_flow, plot_gradient_flow
    >>> flows = {name: gradient_flow(name, steps=20) for name in ("vanilla", "lstm")}
    >>> path = plot_gradient_flow(flows, os.path.join(tempfile.mkdtemp(), "flow.png"))
    >>> os.path.getsize(path) > 0
    True
    """
    path = os.fspath(path)
    if not path.lower().endswith(".png"):
        raise ValueError(f"`path` must name a .png file, got {path!r}.")
    figure = gradient_flow_figure(flows, title=title)
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    figure.savefig(path, format="png")
    return path
