"""`python -m marketcast.cli`: the `marketcast` command (how `serve --with-worker` starts its worker)."""

from marketcast.cli import main

main()
