"""Every use of Faust's and aiokafka's private internals, and nothing else.

Faust (faust-streaming) and aiokafka are pinned (pyproject.toml); the fixes and shortcuts here
reach into attributes and methods those libraries do not promise to keep. Keeping them in one
package means an upgrade has one place to re-check: :mod:`.pins` lists each private name with
what relies on it, and tests/kafka_internals/test_pins.py fails, naming them, when an installed
version is not the one verified or a private name has gone.

- :mod:`.metadata`: a topic's partitions after a metadata refresh (aiokafka only; the signer uses it)
- :mod:`.events`: Faust's current event, its committed offsets, an event left uncommitted
- :mod:`.recovery`: Faust's table recovery and fetch, fixed so no fetched record is lost

This module imports nothing, so the signer (no Faust) can import :mod:`.metadata`.
"""
