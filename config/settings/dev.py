"""The embedded runtime started by `make run`: DEBUG on, everything local."""

import os

os.environ.setdefault("DEBUG", "true")

from .base import *
