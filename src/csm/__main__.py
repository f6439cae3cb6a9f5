"""`python -m csm` runs the command line."""

from csm.cli import main

main()
