"""`python -m flowterm` runs the same command line as the `flowterm` console script."""

from flowterm.tui.cli import main

if __name__ == "__main__":
    main()
