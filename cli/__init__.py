"""The `daperf` command line: the top layer. Nothing imports it; each command asks the layer that does the work."""
