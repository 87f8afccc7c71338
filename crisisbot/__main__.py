"""`python -m crisisbot` is the same as the `crisisbot` command."""

from crisisbot.cli import main

main()
