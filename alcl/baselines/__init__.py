"""What AL is compared with, each registering itself where it is defined (:mod:`alcl.registry`):

- :mod:`.fixed_width`: the backprop reference with one input per column, and how it sees
  absent columns (:class:`~.fixed_width.FillAbsent`);
- :mod:`.avalanche`: Avalanche's continual-learning strategies on that model (naive,
  cumulative, joint, EWC, online EWC, SI, MAS, LwF, replay, GEM, A-GEM, DER) — the place to
  add a baseline;
- :mod:`.pnn`: progressive networks (a task-label oracle here);
- :mod:`.bp_grow`: the ``bp-grow`` control, AL's growth trained by backprop;
- :mod:`.snapshot_route`: ``snapshot-route``, fine-tuning plus a frozen snapshot per experience.
"""
