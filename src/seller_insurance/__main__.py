"""``python -m seller_insurance``: the ``seller-insurance`` command line; exits with its status."""

import sys

from seller_insurance.cli import main

sys.exit(main())
