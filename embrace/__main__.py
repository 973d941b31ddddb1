"""`python -m embrace` runs the same CLI as the `embrace` console script."""

from embrace.cli.main import main

raise SystemExit(main())
