"""Rule packs. Each module has ``NAME``, ``VERSION``, ``applies(ctx)``, ``RULES`` (rule
functions yielding blocking reasons) and ``evaluate(ctx, facts=None) -> PackResult``; packs with
numbers keep them in one frozen ``Settings`` dataclass (``SETTINGS``)."""

from __future__ import annotations

from types import ModuleType

from . import cn, common, house, uk_fca, us_federal, us_ma, us_nyc, us_wa

# Evaluation order: the cheap, person-only gates first, so a search can stop early.
ALL_PACKS: tuple[ModuleType, ...] = (common, us_federal, us_ma, us_nyc, us_wa, cn, uk_fca, house)

__all__ = ["ALL_PACKS", "cn", "common", "house", "uk_fca", "us_federal", "us_ma", "us_nyc", "us_wa"]
