"""Quality metrics of generators: Fréchet distance on digit-classifier features, class and mode coverage.

``evaluate(model, data_spec, n=None, seed=0)`` gives the numbers the trainer logs and the registry records;
``zoo evaluate RUN_DIR_OR_MODEL`` prints them with their protocol.
"""

from zoo.metrics.coverage import class_shares, mode_coverage
from zoo.metrics.frechet import frechet_distance
from zoo.metrics.suite import evaluate, protocol

__all__ = ["class_shares", "evaluate", "frechet_distance", "mode_coverage", "protocol"]
