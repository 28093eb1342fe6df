"""Training: strategies, the `train` entry point, resumable runs, truncated BPTT."""

from keras_rnn_kit.training.atomic_files import atomic_write as atomic_write
from keras_rnn_kit.training.best_model import BestModelCheckpoint as BestModelCheckpoint
from keras_rnn_kit.training.callbacks import default_callbacks as default_callbacks
from keras_rnn_kit.training.input_pipeline import make_dataset as make_dataset
from keras_rnn_kit.training.multi_worker import FirstReplicaBuild as FirstReplicaBuild
from keras_rnn_kit.training.multi_worker import multi_worker_fit as multi_worker_fit
from keras_rnn_kit.training.peer_wait import PeerTimeoutError as PeerTimeoutError
from keras_rnn_kit.training.resumable_backup import ResumableBackup as ResumableBackup
from keras_rnn_kit.training.strategy import get_strategy as get_strategy
from keras_rnn_kit.training.strategy import is_chief as is_chief
from keras_rnn_kit.training.strategy import parse_tf_config as parse_tf_config
from keras_rnn_kit.training.terminate_on_nan import TerminateOnNaN as TerminateOnNaN
from keras_rnn_kit.training.trainer import discard_backup as discard_backup
from keras_rnn_kit.training.trainer import train as train
from keras_rnn_kit.training.truncated_bptt import TruncatedBPTT as TruncatedBPTT
from keras_rnn_kit.training.truncated_bptt import stream_windows as stream_windows
