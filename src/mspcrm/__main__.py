"""``python -m mspcrm``."""

from mspcrm.cli.main import main

main()
