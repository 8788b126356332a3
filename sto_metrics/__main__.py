import sys

from sto_metrics.cli import main

sys.exit(main())
