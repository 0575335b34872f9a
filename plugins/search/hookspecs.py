"""Hooks the search plugin offers: the experiment variant that picks the "for you" ranking weights.

``variant_from_experiments`` is a decision (``firstresult``): the analytics plugin answers it from its A/B
experiments, so the ranking weights can be tested without search depending on analytics.
"""

from __future__ import annotations

from core.hooks import hookspec
from core.hooks.policy import decision


@decision
@hookspec(firstresult=True)
def variant_from_experiments(experiment: str, subject: str) -> str | None:
    """The variant of the running experiment ``experiment`` that ``subject`` (``user:<id>``) is assigned to.

    Called when "for you" is ranked and ``[settings.search] experiment`` names an experiment; the answer picks the
    weights in ``[settings.search.variants.<variant>]`` (unknown variants use the default weights). Return None when
    the experiment does not exist or is not running (the default weights are used). The implementation records the
    exposure. Errors propagate.
    Example: ``return (await experiments.expose(experiment, subject)).variant``.
    """
