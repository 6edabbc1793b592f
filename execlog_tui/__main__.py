"""Allow `python -m execlog_tui`."""

from execlog_tui.cli import run

if __name__ == "__main__":  # not in a worker process, which imports this module as __mp_main__
    run()
