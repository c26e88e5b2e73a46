"""How strategies train: the lean loop (:mod:`.loop`), in-memory tensor batches (:mod:`.loader`)
and the shared optimizer factory (:mod:`.optim`)."""
