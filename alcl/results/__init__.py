"""What a run leaves on disk: the results folder (:mod:`.files`), the figures drawn from it alone
(:mod:`.plots`, :mod:`.plots_adaptive`) and Avalanche's per-run logs (:mod:`.logs`)."""
