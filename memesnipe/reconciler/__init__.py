"""The reconciler (``memesnipe reconcile``): the books against the wallet on chain."""
