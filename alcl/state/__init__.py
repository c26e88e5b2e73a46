"""Saving and restoring a run: checkpoint files and random state (:mod:`.checkpoint`), a
strategy's state (:mod:`.strategy_state`) and its plugins' state (:mod:`.plugin_state`)."""
