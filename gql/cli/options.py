"""Click options made from the settings (newsgraph.settings): flag, type, range, default, help, environment variable."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from newsgraph.settings import Spec, spec, specs

F = TypeVar("F", bound=Callable[..., Any])


class SettingOption(click.Option):
    """An option whose `--help` shows its default as docs/cli.md does (`on`, `off`, `none`, `unset`, `5.0`)."""

    def __init__(self, *args: Any, shown_default: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.shown_default = shown_default

    def get_help_extra(self, ctx: click.Context) -> Any:  # click >= 8.2; older ones show click's own rendering
        return {**super().get_help_extra(ctx), "default": self.shown_default}


def option(setting: Spec) -> Callable[[F], F]:
    """The option of one setting: `--flag` (or `--flag/--no-flag`), else `NEWSGRAPH_<NAME>`, else the default."""
    extra: dict[str, Any] = {}
    if setting.type is bool:
        kind: Any = click.BOOL
    elif setting.type is tuple:
        kind, extra = click.STRING, {"multiple": True}  # from the environment: separated by spaces
    elif setting.type is Path:
        kind = click.Path(path_type=Path, exists=setting.path == "existing", file_okay=setting.path != "dir",
                          dir_okay=setting.path != "file")
    elif setting.type is int:
        kind = click.IntRange(setting.minimum, setting.maximum)  # type: ignore[arg-type]  # an int setting's are ints
    elif setting.type is float:
        kind = click.FloatRange(setting.minimum, setting.maximum)
    else:
        kind = click.STRING
    assert setting.flag is not None  # only settings with a flag get an option
    return click.option(setting.flag, setting.name, cls=SettingOption, type=kind, default=setting.default,
                        help=setting.help, show_default=True, shown_default=setting.shown_default, envvar=setting.env,
                        show_envvar=True, **extra)


def setting_option(name: str) -> Callable[[F], F]:
    return option(spec(name))


def setting_options(command: str) -> Callable[[F], F]:
    """Every setting of `command` that has a flag, as options in the settings' order."""

    def decorate(function: F) -> F:
        for setting in reversed(specs(command)):  # the last decorator applied is listed first
            if setting.flag:
                function = option(setting)(function)
        return function

    return decorate
