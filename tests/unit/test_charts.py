import math
from datetime import date

import matplotlib.image
import pytest
from matplotlib.figure import Figure

from screening import charts
from screening.errors import BadInput

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
HALF_YEAR = (date(2026, 1, 1), date(2026, 6, 30))
MONTHLY = [
    {"month": "2026-01", "group": "Östersund", "notices": 12, "booked_in_time_share": 0.75},
    {"month": "2026-02", "group": "Östersund", "notices": 3, "booked_in_time_share": None},
    {"month": "2026-03", "group": "Östersund", "notices": 9, "booked_in_time_share": 0.5},
    {"month": "2026-01", "group": "Åre", "notices": 6, "booked_in_time_share": 1.0},
    {"month": "2026-01", "group": "Berg", "notices": 7, "booked_in_time_share": 0.25},
    {"month": "2026-01", "group": "Ragunda", "notices": 2, "booked_in_time_share": None},
]
BREACHES = {"reception_unit": 3, "health_centre": 17, "school": None, "bvc": 2, "school_health": 0, "coordinator": 1}
DISTRIBUTION = [{"weeks": 0, "children": 3}, {"weeks": 1, "children": 8}, {"weeks": 4, "children": 2}]
FIGURES = {"period": HALF_YEAR, "monthly": MONTHLY, "breaches": BREACHES, "distribution": DISTRIBUTION,
           "threshold": 5}
EMPTY = {"period": HALF_YEAR, "monthly": [], "breaches": {}, "distribution": [], "threshold": 5}


@pytest.fixture(scope="module")
def axes():
    fig = charts.figure(**FIGURES)
    monthly, breaches, distribution = fig.axes[:3]
    return fig, monthly, breaches, distribution


def texts(ax) -> list[str]:
    return [text.get_text() for text in ax.texts]


def line(ax, group: str):
    (found,) = [line for line in ax.get_lines() if line.get_label() == group]
    return found


def test_draw_writes_a_png_of_the_figures_size(tmp_path):
    target = tmp_path / "uppfoljning.png"
    charts.draw(target, **FIGURES)
    assert target.read_bytes()[:8] == PNG_MAGIC
    width, height = (round(inches * charts.DPI) for inches in charts.SIZE_INCHES)
    assert matplotlib.image.imread(target).shape == (height, width, 4)
    assert [path.name for path in tmp_path.iterdir()] == ["uppfoljning.png"]


def test_the_figure_is_titled_in_swedish_with_the_period(axes):
    fig, monthly, breaches, distribution = axes
    assert isinstance(fig, Figure)
    title = fig.get_suptitle()
    assert "Uppföljning enligt 0–17-överenskommelsen (§ 10)" in title
    assert "1 januari–30 juni 2026" in title
    assert monthly.get_title(loc="left") == "Andel bokade inom fem arbetsdagar per månad och kommun"
    assert breaches.get_title(loc="left") == "Missade tidsgränser per ansvarig part (§ 10)"
    assert distribution.get_title(loc="left") == "Tid från ankomst till läkarundersökning"


def test_a_period_across_new_year_names_both_years():
    assert charts.period_sv(date(2025, 12, 1), date(2026, 5, 31)) == "1 december 2025–31 maj 2026"


def test_every_month_of_the_period_is_labelled_in_swedish_without_the_locale(axes):
    _, monthly, _, _ = axes
    labels = [label.get_text() for label in monthly.get_xticklabels()]
    assert labels == ["jan 2026", "feb 2026", "mar 2026", "apr 2026", "maj 2026", "jun 2026"]
    assert charts.month_sv("2026-10") == "okt 2026"


def test_a_suppressed_month_is_a_gap_in_its_groups_line(axes):
    _, monthly, _, _ = axes
    shares = list(line(monthly, "Östersund").get_ydata())
    assert shares[0] == 75 and shares[2] == 50
    assert math.isnan(shares[1])  # February: fewer than five children
    assert all(math.isnan(share) for share in shares[3:])  # no rows at all
    assert monthly.get_ylim() == (0, 100)


def test_groups_are_in_swedish_order_and_a_wholly_suppressed_group_is_not_drawn(axes):
    _, monthly, _, _ = axes
    legend = [text.get_text() for text in monthly.get_legend().get_texts()]
    assert legend == ["Berg", "Åre", "Östersund"]
    assert "Ragunda" not in [line.get_label() for line in monthly.get_lines()]
    assert "Grupper med färre än 5 barn" in monthly.get_xlabel()


def test_a_month_without_a_municipality_is_drawn_as_unknown():
    rows = [{"month": "2026-01", "group": None, "notices": 5, "booked_in_time_share": 0.6}]
    monthly = charts.figure(**FIGURES | {"monthly": rows}).axes[0]
    assert line(monthly, "okänd kommun").get_ydata()[0] == 60


def test_breaches_name_every_party_in_swedish_and_a_suppressed_count_has_no_bar(axes):
    _, _, breaches, _ = axes
    labels = [label.get_text() for label in breaches.get_yticklabels()]
    assert labels == ["mottagningsenhet", "hälsocentral", "skola (färre än 5)", "förskola", "BVC", "elevhälsa",
                      "samordnare"]
    bars = {round(bar.get_y() + bar.get_height() / 2): bar.get_width() for bar in breaches.patches}
    assert 2 not in bars  # school: suppressed
    assert bars == {0: 3, 1: 17, 3: 0, 4: 2, 5: 0, 6: 1}  # preschool missing from the figures: none


def test_the_distribution_has_one_bar_per_week_with_children(axes):
    _, _, _, distribution = axes
    assert distribution.get_xlabel() == "veckor efter ankomst"
    assert distribution.get_ylabel() == "antal barn"
    bars = sorted((round(bar.get_x() + bar.get_width() / 2), bar.get_height()) for bar in distribution.patches)
    assert bars == [(0, 3), (1, 8), (4, 2)]


def test_too_few_children_in_the_distribution_draws_no_bars_but_says_so():
    fig = charts.figure(**FIGURES | {"distribution": [{"weeks": 2, "children": 4}]})
    distribution = fig.axes[2]
    assert len(distribution.patches) == 0
    assert texts(distribution) == ["för få barn för att visas (färre än 5)"]


def test_empty_figures_still_give_a_png_that_says_there_is_nothing(tmp_path):
    target = tmp_path / "tom.png"
    charts.draw(str(target), **EMPTY)
    assert target.read_bytes()[:8] == PNG_MAGIC
    fig = charts.figure(**EMPTY)
    assert [texts(ax) for ax in fig.axes[:3]] == [["inga uppgifter"]] * 3
    assert len(fig.axes[0].get_lines()) == len(fig.axes[1].patches) == 0


def test_a_failing_drawing_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch):
    target = tmp_path / "uppfoljning.png"
    target.write_bytes(b"last year's chart")

    def fail(self, out, **kwargs):
        out.write(b"half a png")
        raise RuntimeError("the renderer broke")

    monkeypatch.setattr(Figure, "savefig", fail)
    with pytest.raises(RuntimeError):
        charts.draw(target, **FIGURES)
    assert list(tmp_path.iterdir()) == [target]
    assert target.read_bytes() == b"last year's chart"


@pytest.mark.parametrize("where", ["no-such-folder/chart.png", "."])
def test_an_unwritable_path_is_bad_input_naming_the_file(tmp_path, where):
    target = tmp_path / where
    with pytest.raises(BadInput) as raised:
        charts.draw(target, **EMPTY)
    assert str(target) in raised.value.message
    assert "\n" not in raised.value.message
    assert [path.name for path in tmp_path.iterdir()] == []
