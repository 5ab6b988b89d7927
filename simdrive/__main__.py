import sys

from simdrive.cli import main

sys.exit(main())
