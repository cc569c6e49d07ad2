"""Entry script of the frozen vp-desk: runs the same main() as the vp-desk console script."""

import sys

from vp_desk.app import main

if __name__ == "__main__":
    sys.exit(main())
