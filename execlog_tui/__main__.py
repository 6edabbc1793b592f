"""Allow `python -m execlog_tui`."""

from execlog_tui.cli import main

raise SystemExit(main())
