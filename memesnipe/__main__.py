"""`python -m memesnipe` runs the same CLI as the `memesnipe` command."""

from memesnipe.cli.main import main

if __name__ == "__main__":
    main()
