"""The custom functions module for xlwings Server and xlwings Lite (kept at this path for
existing set-ups; the module itself is ``xl_quintus.excel.custom_functions``)."""

from .excel.custom_functions import *  # noqa: F401,F403
from .excel.custom_functions import __all__  # noqa: F401
