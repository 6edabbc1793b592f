"""Dashboard themes: YAML files validated on load into Textual `Theme` objects."""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml
from textual.app import App
from textual.color import Color, ColorParseError
from textual.theme import Theme

# The shipped themes live once, inside the package (execlog_tui/ui/themes/*.yaml), and are read as package
# resources: an installed wheel, an editable install and a source checkout all find the same files.
BUILTIN_THEMES = ("dark", "light", "high-contrast", "monochrome")

_COLOUR_KEYS = (
    "primary",
    "secondary",
    "warning",
    "error",
    "success",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
)
# CSS variables the dashboard's .tcss reads; a theme may set them under `variables:`.
BAND_VARIABLES = ("band-optimal", "band-acceptable", "band-warning", "band-error")
_KNOWN_KEYS = {"name", "dark", "luminosity_spread", "text_alpha", "variables", *_COLOUR_KEYS}


class ThemeError(ValueError):
    """A theme that cannot be used; the message is one line naming the file and the key."""


def band_variable_defaults() -> dict[str, str]:
    """Fallbacks for themes (including Textual's own) that do not define the band colours, and the
    colour of the panels' rules (`rule`)."""
    return {
        "band-optimal": "$success",
        "band-acceptable": "$primary",
        "band-warning": "$warning",
        "band-error": "$error",
        "rule": "#808080",  # a theme of ours sets its own (theme_variables); this is for any other
    }


MUTED_BLEND = 0.35  # muted text: the foreground 35 % of the way to the background


def theme_variables(colours: dict[str, Any], dark: bool) -> dict[str, str]:
    """`text` and `text-muted` as plain colours from the theme's foreground and background.

    Textual's defaults are `auto 87%` / `auto 60%`, a colour worked out against the background of the
    widget being drawn; a panel's own component classes (table headers, the breakers' column names)
    have no background of their own, so `auto` came out white, and white on a light theme's white:
    the Breakers header of `--theme light` could not be read. A plain colour reads the same on every
    background of the theme. `rule`, the panels' top rules: the panel colour, lighter on a dark
    theme and darker on a light one (Textual's `$panel-lighten-2` was white on white there)."""
    out: dict[str, str] = {}
    fg, bg, panel = (colours.get(k) for k in ("foreground", "background", "panel"))
    if isinstance(fg, str) and isinstance(bg, str) and not fg.startswith("$") and not bg.startswith("$"):
        fore, back = Color.parse(fg), Color.parse(bg)
        out |= {"text": fore.hex, "text-muted": fore.blend(back, MUTED_BLEND).hex}
    if isinstance(panel, str) and not panel.startswith("$"):
        p = Color.parse(panel)
        out["rule"] = (p.lighten(0.15) if dark else p.darken(0.25)).hex
    return out


def _colour(source: str, key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ThemeError(f"{source}: key {key!r}: expected a colour such as '#1e90ff', got {value!r}")
    if value.startswith("$"):
        return value  # a reference to another theme variable
    try:
        Color.parse(value)
    except ColorParseError:
        raise ThemeError(f"{source}: key {key!r}: not a colour: {value!r}") from None
    return value


def theme_from_mapping(data: Any, source: str) -> Theme:
    """Validate one theme document; `source` names the file in error messages."""
    if not isinstance(data, dict):
        raise ThemeError(f"{source}: expected a mapping of theme keys, got {type(data).__name__}")
    for key in data:
        if key not in _KNOWN_KEYS:
            raise ThemeError(f"{source}: unknown key {key!r} (known: {', '.join(sorted(_KNOWN_KEYS))})")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ThemeError(f"{source}: key 'name': expected a non-empty string")
    if "primary" not in data:
        raise ThemeError(f"{source}: key 'primary': required")
    # Theme's keyword arguments, each validated here: colours (str) and the two fractions (float).
    colours: dict[str, Any] = {
        k: _colour(source, k, data[k]) for k in _COLOUR_KEYS if k in data and data[k] is not None
    }
    dark = data.get("dark", True)
    if not isinstance(dark, bool):
        raise ThemeError(f"{source}: key 'dark': expected true or false, got {dark!r}")
    extra: dict[str, Any] = {}
    for key in ("luminosity_spread", "text_alpha"):
        if key in data:
            value = data[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
                raise ThemeError(f"{source}: key {key!r}: expected a number from 0 to 1, got {value!r}")
            extra[key] = float(value)
    variables = data.get("variables") or {}
    if not isinstance(variables, dict):
        raise ThemeError(f"{source}: key 'variables': expected a mapping of name: value")
    checked: dict[str, str] = {}
    for key, value in variables.items():
        if not isinstance(key, str):
            raise ThemeError(f"{source}: key 'variables.{key}': names must be strings")
        if key in BAND_VARIABLES or key in ("rule", "text", "text-muted"):
            checked[key] = _colour(source, f"variables.{key}", value)
        else:
            checked[key] = str(value)
    return Theme(
        name=name.strip(), dark=dark, variables={**theme_variables(colours, dark), **checked}, **colours, **extra
    )


def _theme_from_text(text: str, source: str) -> Theme:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ThemeError(f"{source}:{where}: {problem}") from None
    return theme_from_mapping(data, source)


def load_theme_file(path: str | Path) -> Theme:
    """A user's theme file (`--theme FILE.yaml`)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ThemeError(f"{path}: cannot read theme file: {exc.strerror or exc}") from None
    return _theme_from_text(text, str(path))


def shipped_theme_files() -> dict[str, Traversable]:
    """The themes inside the package, by name (file name without .yaml)."""
    directory = resources.files("execlog_tui.ui").joinpath("themes")
    if not directory.is_dir():  # an install that lost its package data: say "no theme", not a traceback
        return {}
    return {
        item.name.removesuffix(".yaml"): item
        for item in directory.iterdir()
        if item.name.endswith(".yaml") and item.is_file()
    }


def load_shipped_theme(name: str) -> Theme:
    """A theme shipped with the package; ThemeError when there is none of that name."""
    found = shipped_theme_files().get(name)
    if found is None:
        raise ThemeError(
            f"--theme: no theme named {name!r} (shipped: {', '.join(BUILTIN_THEMES)}; or give a .yaml file)"
        )
    return _theme_from_text(found.read_text(encoding="utf-8"), f"execlog_tui/ui/themes/{found.name}")


def resolve_theme(name_or_file: str) -> Theme:
    """`--theme NAME|FILE`: a shipped theme's name, or the path of a YAML theme file."""
    looks_like_path = name_or_file.endswith((".yaml", ".yml")) or "/" in name_or_file
    if looks_like_path:
        return load_theme_file(name_or_file)
    return load_shipped_theme(name_or_file)


def builtin_themes() -> list[Theme]:
    return [load_shipped_theme(name) for name in BUILTIN_THEMES]


def install_themes(app: App[Any], theme: Theme | None) -> None:
    """Register the shipped themes on `app` and select `theme` (a user's, registered too) or the
    default: the dashboard's and the fleet screen's one way to start themed."""
    for t in builtin_themes():
        app.register_theme(t)
    if theme is not None:
        app.register_theme(theme)
        app.theme = theme.name
    else:
        app.theme = "execlog-dark"
