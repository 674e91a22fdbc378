"""``python -m pipeline.importers import revman|screening ...`` (until ``import`` is on ``python -m pipeline``)."""

from pipeline.importers.commands import main

raise SystemExit(main())
