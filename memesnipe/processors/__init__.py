"""Stage processors: what each stage does to its inputs and state, without Faust or I/O."""
