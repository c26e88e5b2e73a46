"""Small AL networks for tests, on every backbone: tiny tables, 8x8 images, 12-token texts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from alcl.backbones import MLPBackbone, build_backbone
from alcl.config import ModelConfig
from alcl.growth import GrowthRule
from alcl.network import ALNetwork, BlockStack
from streams.layout import ImageLayout, TextLayout


def grown_network(
    groups: list[list[int]], n_features: int = 8, n_classes: int = 3, freeze: bool = True
) -> tuple[ALNetwork, GrowthRule]:
    """An AL network grown once per column group, as the strategy would grow it."""
    net = ALNetwork(n_features, n_classes)
    rule = GrowthRule(MLPBackbone((16, 12, 10)), ModelConfig(label_dim=6), freeze=freeze)
    for cols in groups:
        rule.grow(net, cols)
    return net, rule


def batch(
    n: int = 10, n_features: int = 8, n_classes: int = 3
) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    return torch.randn(n, n_features, generator=g), torch.randint(0, n_classes, (n,), generator=g)


IMAGE = ImageLayout((1, 8, 8))
VOCAB = 24
TEXT = TextLayout(
    "tokens",
    ("segment1", "segment2", "segment3"),
    ((0, 4), (4, 8), (8, 12)),
    ("<pad>", "<unk>", *(f"w{i}" for i in range(VOCAB - 2))),
    12,
)


def _bands(rows: list[range]) -> list[list[int]]:
    grid = np.arange(IMAGE.n_columns).reshape(8, 8)
    return [grid[list(r)].ravel().tolist() for r in rows]


@dataclass(frozen=True)
class Case:
    """A backbone with a tiny input layout and three column groups to grow on."""

    name: str
    layout: Any
    n_features: int
    groups: list[list[int]]
    widths: tuple[int, ...]
    options: dict[str, Any] = field(default_factory=dict)

    def backbone(self):
        return build_backbone(self.name, self.widths, layout=self.layout, options=self.options)

    def grown(
        self,
        groups: list[list[int]] | None = None,
        freeze: bool = True,
        network: type[BlockStack] = ALNetwork,
        blocks_per_experience: int = 1,
    ) -> tuple[BlockStack, GrowthRule]:
        net = network(self.n_features, 3)
        rule = GrowthRule(
            self.backbone(),
            ModelConfig(label_dim=6),
            freeze=freeze,
            blocks_per_experience=blocks_per_experience,
        )
        for cols in self.groups if groups is None else groups:
            rule.grow(net, cols)
        return net, rule

    def batch(self, n: int = 10, seed: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
        """Rows whose values carry their class (so a model can learn them), and labels."""
        g = torch.Generator().manual_seed(seed)
        y = torch.randint(0, 3, (n,), generator=g)
        if isinstance(self.layout, TextLayout):
            # class c draws words from its own third of the vocabulary; some padding
            words = 2 + y.unsqueeze(1) * 7 + torch.randint(0, 7, (n, self.n_features), generator=g)
            pad = torch.rand(n, self.n_features, generator=g) < 0.2
            return words.masked_fill(pad, 0).float(), y
        x = torch.randn(n, self.n_features, generator=g) + y.unsqueeze(1).float()
        return x, y


CASES = {
    "mlp": Case("mlp", None, 8, [[0, 1, 2], [3, 4], [5, 6, 7]], (16, 12, 10)),
    "cnn": Case(
        "cnn", IMAGE, 64, _bands([range(3), range(3, 6), range(6, 8)]), (4, 6, 8),
        {"side_channels": 2},
    ),
    "vgg": Case(
        "vgg", IMAGE, 64, _bands([range(4), range(4, 6), range(6, 8)]), (4, 6, 8),
        {"side_channels": 2},
    ),
    "resnet": Case(
        "resnet", IMAGE, 64, _bands([range(2), range(2, 5), range(5, 8)]), (4, 6, 8),
        {"side_channels": 2},
    ),
    "lstm": Case("lstm", TEXT, 12, [list(range(4)), list(range(4, 8)), list(range(8, 12))], (8, 8, 6)),
    "transformer": Case(
        "transformer", TEXT, 12, [list(range(4)), list(range(4, 8)), list(range(8, 12))], (8, 8, 8),
        {"heads": 2},
    ),
}  # fmt: skip


MODEL_KEYS = ("label_dim", "layers_per_block", "dropout", "absent", "backbone", "backbone_options")


def build(
    name: str,
    params: dict | None,
    n_features: int,
    n_classes: int,
    widths,
    evaluator=None,
    plugins=None,
    layout=None,
    device: str = "cpu",
    groups=(),
    **settings,
):
    """Strategy ``name`` for a problem of that size: ``settings`` are ModelConfig or
    TrainingConfig fields (training defaults to lr 1e-3, as the tests were written for)."""
    from alcl.config import ModelConfig, TrainingConfig
    from alcl.registry import Problem, build_strategy

    model = {k: settings.pop(k) for k in MODEL_KEYS if k in settings}
    training = TrainingConfig(**{"lr": 1e-3, **settings})
    return build_strategy(
        name,
        params or {},
        Problem(n_features, n_classes, layout, tuple(tuple(g) for g in groups)),
        ModelConfig(widths=list(widths), **model),
        training,
        device=device,
        evaluator=evaluator,
        plugins=plugins,
    )
