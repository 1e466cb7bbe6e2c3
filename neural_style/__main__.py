import sys

from neural_style.cli import main

sys.exit(main())
