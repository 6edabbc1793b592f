"""Log files: discovering a set, reading archives as streams, following the live file."""
