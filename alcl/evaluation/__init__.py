"""How a run is measured: the protocol of DESIGN §2 (:mod:`.protocol`), accuracy per experience
(:mod:`.accuracy`), accuracy per AL exit (:mod:`.exits`), the metrics of an accuracy matrix
(:mod:`.metrics`), the cost report (:mod:`.cost`) and the typed run record (:mod:`.record`)."""
