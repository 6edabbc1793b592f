"""The dashboard start's style work: the key bar (ui/footer.py) recomposed only when what it shows
changes, then showing what Textual's own Footer would; the size classes set at mount as Textual sets them."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Footer, Static
from textual.widgets._footer import FooterKey

from execlog_tui.ui import scenarios as sc
from execlog_tui.ui.footer import KeyFooter
from tests.app.test_navigation import FOCUS_ORDER, app_for
from tests.app.test_ui_pilot import sync


class Pane(Static, can_focus=True):
    pass


class Left(Pane):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("x", "app.bell", "Left's key")]


class Right(Pane):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("y", "app.bell", "Right's key")]


class TwoPanes(App[None]):
    def __init__(self, footer: type[Footer]) -> None:
        super().__init__()
        self.footer_type = footer

    def compose(self) -> ComposeResult:
        yield Left("left", id="left")
        yield Left("left too", id="left2")
        yield Right("right", id="right")
        yield self.footer_type()


def keys(app: App[Any]) -> list[tuple[str, str]]:
    return [(k.key, k.description) for k in app.screen.query(FooterKey)]


async def focus_steps(footer: type[Footer]) -> list[tuple[list[tuple[str, str]], list[FooterKey]]]:
    """What the key bar shows, and its key widgets, after focusing each pane in turn."""
    app = TwoPanes(footer)
    steps = []
    async with app.run_test() as pilot:
        for pane in ("left", "left2", "right", "left"):
            app.query_one(f"#{pane}").focus()
            await pilot.pause()
            steps.append((keys(app), list(app.screen.query(FooterKey))))
    return steps


@sync
async def test_the_footer_follows_the_bindings_and_keeps_its_keys_when_they_do_not_change() -> None:
    ours, textuals = await focus_steps(KeyFooter), await focus_steps(Footer)
    assert [shown for shown, _w in ours] == [shown for shown, _w in textuals]  # what Textual's would show
    assert ours[0][0][0] == ("x", "Left's key") and ours[2][0][0] == ("y", "Right's key")
    left, left2, right, _back = (widgets for _s, widgets in ours)
    assert left2 == left  # the same bindings: the same widgets, not composed again
    assert right != left and not set(right) & set(left)  # other bindings: composed anew


@sync
async def test_tab_across_the_dashboards_figures_does_not_rebuild_its_key_bar() -> None:
    app = app_for(sc.session_for(sc.breaker_open_snapshot()))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        before = list(app.screen.query(FooterKey))
        assert before and all(k.is_attached for k in before)
        for _ in FOCUS_ORDER:
            await pilot.press("tab")
        await pilot.pause()
        assert list(app.screen.query(FooterKey)) == before  # the same widgets: never recomposed


@sync
async def test_the_size_classes_set_at_mount_are_those_textual_sets_on_a_resize() -> None:
    """ui.app.size_classes (set before the screen's first full styling, so that the first Resize restyles
    nothing) gives what Textual's Screen gives for the app's breakpoints, at every size across them."""
    from execlog_tui.ui.app import ExeclogApp, size_classes

    app = app_for(sc.session_for(sc.base_snapshot()))
    async with app.run_test(size=(80, 24)) as pilot:
        for size in [(80, 24), (139, 29), (140, 30), (200, 60), (80, 60), (200, 24), (60, 20)]:
            await pilot.resize_terminal(*size)
            await pilot.pause()
            want = size_classes(size, ExeclogApp.HORIZONTAL_BREAKPOINTS, ExeclogApp.VERTICAL_BREAKPOINTS)
            got = {name: name in app.screen.classes for name in want}
            assert got == want, size


@sync
async def test_a_history_read_before_the_layout_styles_each_tile_once_in_its_band() -> None:
    """With the figures there before the layout is built (a warm cache), every tile is composed in its
    band: the first refresh changes no tile's classes, which restyled each one and its five parts."""
    from execlog_tui.ui.tiles import MetricTile

    changed: list[tuple[str | None, str]] = []
    add, remove = MetricTile.add_class, MetricTile.remove_class

    def adding(self: MetricTile, *names: str, update: bool = True) -> MetricTile:
        changed.extend((self.id, n) for n in names if n not in self.classes)
        return add(self, *names, update=update)

    def removing(self: MetricTile, *names: str, update: bool = True) -> MetricTile:
        changed.extend((self.id, "not " + n) for n in names if n in self.classes)
        return remove(self, *names, update=update)

    MetricTile.add_class = adding  # type: ignore[method-assign]
    MetricTile.remove_class = removing  # type: ignore[method-assign]
    try:
        app = app_for(sc.session_for(sc.base_snapshot()))
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            bands = {t.id: t.band for t in app.query(MetricTile)}
            assert bands["tile-avg"] == "optimal" and bands["tile-p95"] is None  # a band, and none
            assert changed == []
            await pilot.press("4")  # another window: other bands, so the classes do change
            await pilot.pause()
            assert ("tile-avg", "-error") in changed
    finally:
        MetricTile.add_class, MetricTile.remove_class = add, remove  # type: ignore[method-assign]


@pytest.mark.parametrize("size", [(200, 60), (80, 24), (100, 30)])
@sync
async def test_the_start_leaves_every_widget_styled_as_a_full_restyle_would(size: tuple[int, int]) -> None:
    """The dashboard's screen skips Textual's full restyle on its first resume (every widget was styled
    as it mounted, with the size classes already set): styling the whole screen again afterwards
    changes no widget's styles and nothing on screen."""
    app = app_for(sc.session_for(sc.breaker_open_snapshot()))
    async with app.run_test(size=size) as pilot:
        await pilot.pause()

        def styles() -> dict[str, str]:
            return {f"{n!r}@{i}": n.styles.css for i, n in enumerate(app.screen.walk_children(with_self=True))}

        before, shot = styles(), app.export_screenshot()
        app.stylesheet.update(app.screen)  # every widget of the screen styled anew
        await pilot.pause()
        assert styles() == before
        assert app.export_screenshot() == shot
