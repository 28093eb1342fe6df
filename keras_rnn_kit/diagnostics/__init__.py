"""Diagnostics: gradient flow through time (values, report, plot), attention."""

from keras_rnn_kit.diagnostics.attention_plot import plot_attention
from keras_rnn_kit.diagnostics.gradient_flow_plot import gradient_flow_figure
from keras_rnn_kit.diagnostics.gradient_flow_plot import plot_gradient_flow
from keras_rnn_kit.diagnostics.state_gradients import gradient_flow
from keras_rnn_kit.diagnostics.state_gradients import gradient_flow_report

__all__ = [
    "gradient_flow",
    "gradient_flow_figure",
    "gradient_flow_report",
    "plot_attention",
    "plot_gradient_flow",
]
