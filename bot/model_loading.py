"""The NLU classifiers of the trained model load in a third of the time (bot.serve installs this).

To give a DIET model (the intent classifier and the FAQ response selector) weights of the right
size before reading them, Rasa 3.6 trains it on one example (`RasaModel.load`: `model.fit` on one
batch, then `load_weights`). Keras first traces that training step into a graph, gradients and
optimizer included: about 5-10 s per model on two cores, for a step whose result the saved weights
then overwrite. Here the step runs eagerly (no tracing); the weights, the traced prediction step
and so every prediction are the same (tests/bot/test_model_loading.py compares the running server
with Rasa's own loader). The dialogue policy's TED model keeps Rasa's way: run eagerly, its step
leaves some layers unbuilt and their weights unread.
"""
from __future__ import annotations

from typing import Any, Optional

import tensorflow as tf
from rasa.nlu.classifiers.diet_classifier import DIET
from rasa.utils.tensorflow.constants import LEARNING_RATE, RUN_EAGERLY
from rasa.utils.tensorflow.data_generator import RasaBatchDataGenerator
from rasa.utils.tensorflow.model_data import RasaModelData


def load_without_tracing_a_training_step(cls: type, model_file_name: str, model_data_example: RasaModelData,
                                         predict_data_example: Optional[RasaModelData] = None,
                                         finetune_mode: bool = False, *args: Any, **kwargs: Any) -> DIET:
    """RasaModel.load, with the one weight-building training step run eagerly."""
    model = cls(*args, **kwargs)
    config = kwargs.get("config", {})
    model.compile(optimizer=tf.keras.optimizers.Adam(config.get(LEARNING_RATE, 0.001)), run_eagerly=True)
    model.fit(RasaBatchDataGenerator(model_data_example, batch_size=1), verbose=False)
    # Back to the configured mode: predictions (and any fine-tuning) are traced as Rasa traces them.
    model.run_eagerly = config.get(RUN_EAGERLY)
    model.train_function = None
    model.load_weights(model_file_name)
    if not finetune_mode and predict_data_example:
        model.run_inference(predict_data_example)  # traces the prediction step now, not in the first turn
    return model


def install() -> None:
    """DIET and its response-selector subclasses load this way from now on in this process."""
    DIET.load = classmethod(load_without_tracing_a_training_step)  # type: ignore[assignment]
