"""The frozen result of every estimator: value, standard error, confidence interval, df and n."""
from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Estimate:
    """One estimate with its linearised standard error and a t(df) based confidence interval.

    `df` is the design degrees of freedom of the domain (PSUs − strata with a positive weight
    in the domain); `n` the number of rows with a valid value in the domain.  Undefined
    quantities (empty domain, df < 1) are NaN, never an exception.
    """

    value: float
    se: float
    ci_low: float
    ci_high: float
    df: int
    n: int

    @property
    def rse(self) -> float:
        """Relative standard error se / |value| (NaN when the value is 0 or undefined)."""
        if not math.isfinite(self.value) or self.value == 0:
            return math.nan
        return self.se / abs(self.value)

    @property
    def has_interval(self) -> bool:
        """Whether the confidence interval is defined (finite bounds)."""
        return math.isfinite(self.ci_low) and math.isfinite(self.ci_high)

    def as_dict(self) -> dict:
        """Plain dict (for JSON, templates and exports)."""
        return {"value": self.value, "se": self.se, "ci_low": self.ci_low,
                "ci_high": self.ci_high, "df": self.df, "n": self.n}


NAN_ESTIMATE = Estimate(math.nan, math.nan, math.nan, math.nan, 0, 0)
