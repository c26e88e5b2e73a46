"""alcl: continual learning with Associated Learning (AL).

The package is laid out one idea per module:

- :mod:`alcl.block`     the AL block and its local losses
- :mod:`alcl.network`   the growing stack of blocks
- :mod:`alcl.inference` shortcut, full-path and adaptive inference
- :mod:`alcl.compute`   FLOPs per exit, parameters per block, latency
- :mod:`alcl.calibration` the adaptive-inference threshold, chosen on validation
- :mod:`alcl.growth`    the growth rule (freeze, then append feature-augmented blocks)
- :mod:`alcl.strategy`  the Avalanche strategy (with a cache of frozen-block outputs)
- :mod:`alcl.baselines.bp_grow`   the ``bp-grow`` control: AL's growth, trained by backprop
- :mod:`alcl.training.loader`, :mod:`alcl.training.loop` tensor batches and lean callbacks for any strategy
- :mod:`alcl.baselines.fixed_width` fixed-width backprop models for the baselines (absent columns, PNN)
- :mod:`alcl.evaluation.protocol`, :mod:`alcl.evaluation.metrics`, :mod:`alcl.results.files`, :mod:`alcl.results.plots`

Importing ``alcl`` itself loads nothing heavy.
"""

__version__ = "0.1.0"
