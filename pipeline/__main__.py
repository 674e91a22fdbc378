"""Command line: ``python -m pipeline validate|analyse|figures|tables|render|build|meta``."""

from pipeline.cli import main

raise SystemExit(main())
