import sys

from seller_insurance.cli import main

sys.exit(main())
