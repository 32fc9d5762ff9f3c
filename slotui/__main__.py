import sys

from slotui.cli import main

sys.exit(main())
