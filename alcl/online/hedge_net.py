"""The deep online network of ODL and Aux-Drop, in NumPy: one forward and one backward pass
per step, with no framework overhead per instance.

Hidden layers are Linear -> ReLU. Classifier heads hang off chosen hidden layers; their
softmax outputs are mixed with hedge weights alpha (ODL, Sahoo et al. 2018, Sec. 3: the
prediction is sum_i alpha_i softmax(head_i)). Each step, every head's loss L_i moves its own
head by -lr alpha_i grad and every hidden layer by -lr sum_i alpha_i grad_i (hedge
backpropagation, the ODL update), then alpha_i <- max(alpha_i b^L_i, s / n_heads) and alpha
is renormalised. With one head and no hedging it is plain OGD on the network (Aux-Drop's
OGD variant).

An optional *aux layer* (Aux-Drop, Agarwal et al. TMLR 2023, Sec. 4) also reads the
auxiliary features, 0 where absent; its first ``n_aux`` units are dropped exactly when their
feature is absent and the others at the rate that makes the layer's overall drop rate p,
then the layer is scaled by 1 / (1 - p).

``loss="reference"`` is the loss of the authors' code (PyTorch's CrossEntropyLoss applied
to the heads' softmax outputs, so a softmax is taken twice), which produced the published
tables; ``"cross_entropy"`` is the loss as the papers write it.

Weights start as PyTorch's ``nn.Linear`` does: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
"""

from __future__ import annotations

import numpy as np

LOSSES = ("reference", "cross_entropy")


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _linear(rng: np.random.Generator, n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    bound = 1.0 / np.sqrt(n_in)
    return rng.uniform(-bound, bound, (n_out, n_in)), rng.uniform(-bound, bound, n_out)


class HedgeNetwork:
    """``widths[k]`` units in hidden layer k; ``heads``: the hidden layers with a classifier;
    ``aux_layer``: the hidden layer that also reads ``n_aux`` auxiliary features (or None)."""

    def __init__(
        self,
        n_in: int,
        n_classes: int,
        widths: list[int],
        heads: list[int],
        rng: np.random.Generator,
        lr: float,
        aux_layer: int | None = None,
        n_aux: int = 0,
        dropout: float = 0.3,
        hedge: bool = True,
        b: float = 0.99,
        s: float = 0.2,
        loss: str = "reference",
    ) -> None:
        if loss not in LOSSES:
            raise ValueError(f"loss must be one of {list(LOSSES)}, got {loss!r}.")
        if aux_layer is not None and not 0 < aux_layer < len(widths):
            raise ValueError(
                f"the aux layer must be a hidden layer after the first, got {aux_layer}."
            )
        if aux_layer is not None and widths[aux_layer] <= n_aux:
            raise ValueError(
                f"the aux layer needs more units ({widths[aux_layer]}) than auxiliary features "
                f"({n_aux}); widen it."
            )
        if not heads or not all(0 <= h < len(widths) for h in heads):
            raise ValueError(f"heads must name hidden layers 0..{len(widths) - 1}, got {heads}.")
        self.rng, self.lr, self.loss = rng, lr, loss
        self.aux_layer, self.n_aux, self.p = aux_layer, n_aux, dropout
        self.hedge, self.b, self.s = hedge, b, s
        self.layers = []
        for k, width in enumerate(widths):
            fan_in = n_in if k == 0 else widths[k - 1] + (n_aux if k == aux_layer else 0)
            self.layers.append(_linear(rng, fan_in, width))
        self.heads = {h: _linear(rng, widths[h], n_classes) for h in sorted(heads)}
        self.alpha = np.full(len(self.heads), 1.0 / len(self.heads))

    def _drop_mask(self, aux_mask: np.ndarray) -> np.ndarray:
        n, width = aux_mask.shape[0], self.layers[self.aux_layer][0].shape[0]
        missing = self.n_aux - aux_mask.sum(axis=1, keepdims=True)
        rate = np.clip((self.p * width - missing) / (width - self.n_aux), 0.0, 1.0)
        rest = self.rng.random((n, width - self.n_aux)) >= rate
        return np.concatenate([aux_mask, rest], axis=1) / (1.0 - self.p)

    def _forward(self, x, aux, aux_mask, train: bool):
        """Every layer's input, pre-activation and output, the aux-layer mask, each head's
        probabilities and their hedge mix. ``train``: the aux layer's units are dropped at
        random (a draw from the generator); otherwise by their expectation, drawing nothing."""
        inputs, pre, outs, drop = [], [], [], None
        h = x
        for k, (w, bias) in enumerate(self.layers):
            if k == self.aux_layer:
                h = np.concatenate([aux, h], axis=1)
            inputs.append(h)
            z = h @ w.T + bias
            pre.append(z)
            h = np.maximum(z, 0.0)
            if k == self.aux_layer:
                mask = aux_mask.astype(np.float64)
                drop = self._drop_mask(mask) if train else self._expected_mask(mask)
                h = h * drop
            outs.append(h)
        probs = [_softmax(outs[k] @ w.T + bias) for k, (w, bias) in self.heads.items()]
        mixed = sum(a * p for a, p in zip(self.alpha, probs, strict=True))
        return inputs, pre, outs, drop, probs, mixed

    def _expected_mask(self, aux_mask: np.ndarray) -> np.ndarray:
        """:meth:`_drop_mask` in expectation: absent aux units 0, the rest kept with the
        probability the random mask keeps them."""
        width = self.layers[self.aux_layer][0].shape[0]
        missing = self.n_aux - aux_mask.sum(axis=1, keepdims=True)
        rate = np.clip((self.p * width - missing) / (width - self.n_aux), 0.0, 1.0)
        rest = np.broadcast_to(1.0 - rate, (aux_mask.shape[0], width - self.n_aux))
        return np.concatenate([aux_mask, rest], axis=1) / (1.0 - self.p)

    def scores(self, x: np.ndarray, aux=None, aux_mask=None) -> np.ndarray:
        """Log of the hedge mix of the heads' probabilities, changing nothing."""
        if self.n_aux and aux is None:
            raise ValueError("this network has auxiliary inputs; pass aux and aux_mask.")
        return np.log(np.maximum(self._forward(x, aux, aux_mask, train=False)[-1], 1e-300))

    def step(
        self,
        x: np.ndarray,
        y: np.ndarray,
        aux: np.ndarray | None = None,
        aux_mask: np.ndarray | None = None,
    ) -> np.ndarray:
        """Predict ``y`` from ``x`` (and the auxiliary features), then take one hedge step."""
        n = len(y)
        inputs, pre, outs, drop, probs, mixed = self._forward(x, aux, aux_mask, train=True)
        prediction = mixed.argmax(axis=1)

        rows = np.arange(n)
        grads_out: list[np.ndarray | None] = [None] * len(self.layers)
        losses = np.empty(len(probs))
        head_grads = []
        for i, ((k, (w, _)), p) in enumerate(zip(self.heads.items(), probs, strict=True)):
            if self.loss == "reference":
                q = _softmax(p)
                losses[i] = -np.log(q[rows, y]).mean()
                g = q.copy()
                g[rows, y] -= 1.0
                gz = p * (g - (p * g).sum(axis=1, keepdims=True))
            else:
                losses[i] = -np.log(np.maximum(p[rows, y], 1e-300)).mean()
                gz = p.copy()
                gz[rows, y] -= 1.0
            gz *= self.alpha[i] / n
            head_grads.append((gz.T @ outs[k], gz.sum(axis=0)))
            back = gz @ w
            grads_out[k] = back if grads_out[k] is None else grads_out[k] + back
        layer_grads = [None] * len(self.layers)
        for k in range(len(self.layers) - 1, -1, -1):
            g = grads_out[k]
            if g is None:
                continue
            if k == self.aux_layer:
                g = g * drop
            delta = g * (pre[k] > 0)
            layer_grads[k] = (delta.T @ inputs[k], delta.sum(axis=0))
            if k > 0:
                back = delta @ self.layers[k][0]
                if k == self.aux_layer:
                    back = back[:, self.n_aux :]
                grads_out[k - 1] = back if grads_out[k - 1] is None else grads_out[k - 1] + back
        for (w, bias), (gw, gb) in zip(self.heads.values(), head_grads, strict=True):
            w -= self.lr * gw
            bias -= self.lr * gb
        for (w, bias), grad in zip(self.layers, layer_grads, strict=True):
            if grad is not None:
                w -= self.lr * grad[0]
                bias -= self.lr * grad[1]
        if self.hedge:
            alpha = np.maximum(self.alpha * self.b**losses, self.s / len(self.alpha))
            self.alpha = alpha / alpha.sum()
        return prediction
