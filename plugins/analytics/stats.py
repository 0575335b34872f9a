"""Significance tests for experiments, with the standard library only (no scipy).

* two-proportion z-test (pooled variance), two-sided p-value from the normal distribution via ``math.erfc``;
* chi-square test of independence on the 2 x k table (converted / not converted per variant), p-value from the
  regularised upper incomplete gamma function Q(k/2, x/2) (series or continued fraction, Numerical Recipes §6.2).
"""

from __future__ import annotations

import math


def two_proportion_z(conv_a: int, n_a: int, conv_b: int, n_b: int) -> tuple[float, float] | None:
    """Return ``(z, two-sided p)`` for B against A, or None when undefined (an empty group, or no variance)."""
    if n_a <= 0 or n_b <= 0:
        return None
    pooled = (conv_a + conv_b) / (n_a + n_b)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    if se == 0:
        return None
    z = (conv_b / n_b - conv_a / n_a) / se
    return z, math.erfc(abs(z) / math.sqrt(2))


def _gamma_q(a: float, x: float) -> float:
    """Regularised upper incomplete gamma Q(a, x)."""
    if x <= 0:
        return 1.0
    gln = math.lgamma(a)
    if x < a + 1:  # series for P(a, x), then Q = 1 - P
        term = total = 1.0 / a
        ap = a
        for _ in range(1000):
            ap += 1
            term *= x / ap
            total += term
            if abs(term) < abs(total) * 1e-15:
                break
        return max(0.0, 1.0 - total * math.exp(-x + a * math.log(x) - gln))
    # Lentz's continued fraction for Q(a, x)
    tiny = 1e-300
    b = x + 1 - a
    c = 1 / tiny
    d = 1 / b
    h = d
    for i in range(1, 1000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-15:
            break
    return math.exp(-x + a * math.log(x) - gln) * h


def chi_square(groups: list[tuple[int, int]]) -> tuple[float, float] | None:
    """Chi-square test on ``[(conversions, exposures), ...]``; return ``(chi2, p)`` or None when undefined."""
    groups = [(c, n) for c, n in groups if n > 0]
    if len(groups) < 2:
        return None
    total_n = sum(n for _, n in groups)
    total_c = sum(c for c, _ in groups)
    if total_c == 0 or total_c == total_n:
        return None
    chi2 = 0.0
    for conv, n in groups:
        for observed, share in ((conv, total_c / total_n), (n - conv, 1 - total_c / total_n)):
            expected = n * share
            chi2 += (observed - expected) ** 2 / expected
    return chi2, _gamma_q((len(groups) - 1) / 2, chi2 / 2)
