"""``python -m mspcrm.cli``."""

from mspcrm.cli.main import main

main()
