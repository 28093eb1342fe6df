"""Recurrent structures and building blocks: stacked, bidirectional, hierarchical."""

from keras_rnn_kit.layers.attention_bahdanau import BahdanauAttention
from keras_rnn_kit.layers.attention_luong import LuongAttention
from keras_rnn_kit.layers.attention_pooling import AttentionPooling
from keras_rnn_kit.layers.bidirectional_rnn import BidirectionalRNN
from keras_rnn_kit.layers.hierarchical_rnn import HierarchicalRNN
from keras_rnn_kit.layers.rnn import RNN
from keras_rnn_kit.layers.stacked_rnn import StackedRNN

__all__ = [
    "AttentionPooling",
    "BahdanauAttention",
    "BidirectionalRNN",
    "HierarchicalRNN",
    "LuongAttention",
    "RNN",
    "StackedRNN",
]
