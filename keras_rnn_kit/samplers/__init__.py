"""In-graph decoding (greedy and beam search) over a `step_fn`; see `Sampler`."""

from keras_rnn_kit.samplers.beam_sampler import BeamSampler
from keras_rnn_kit.samplers.greedy_sampler import GreedySampler
from keras_rnn_kit.samplers.sampler import Sampler

__all__ = ["BeamSampler", "GreedySampler", "Sampler"]
