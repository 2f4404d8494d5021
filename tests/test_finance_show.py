"""Chart and widget of notebook 08: the SPT chart renders in Japanese; the SLL calculator shows Japanese results."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
from test_show import check_texts, render  # noqa: E402

from cnkit import CnkitError  # noqa: E402
from cnkit.interact.finance import SLLCalculator, sll_calculator  # noqa: E402
from cnkit.show.finance import spt_chart  # noqa: E402


def test_spt_chart_renders_and_says_the_verdict():
    fig = spt_chart("業務", 1000, {2023: 960, 2024: 940, 2025: 930})  # mean rate 5.67 % < 6 %
    render(fig)
    check_texts(fig)
    ax = fig.axes[0]
    assert "未達" in ax.get_title()
    assert [p.get_height() for p in ax.patches] == [960, 940, 930]
    fig = spt_chart("産業", 420, {2023: 400, 2024: 400, 2025: 400})  # 4.76 % ≥ 4 %
    assert "達成" in fig.axes[0].get_title() and "未達" not in fig.axes[0].get_title()


def test_spt_chart_rejects_bad_input():
    with pytest.raises(CnkitError, match="部門"):
        spt_chart("製造", 100, {2023: 90})
    with pytest.raises(CnkitError, match="1つもありません"):
        spt_chart("産業", 100, {})


def test_sll_calculator(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    calc = sll_calculator(30_000_000, 5, 0.001)
    assert isinstance(calc, SLLCalculator)
    assert "90,000 円" in calc.result.value and "組成できません" in calc.result.value
    calc.principal.value = 6000  # 6,000万円 ≥ the 5,000万円 minimum
    assert "組成できる金額" in calc.result.value
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert not isinstance(sll_calculator(), SLLCalculator)
