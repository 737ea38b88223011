"""The custom functions module for xlwings Server and xlwings Lite.

xlwings registers every decorated function it finds in the module it is pointed at; this one
re-exports the Q-functions of ``xl_quintus.excel`` (``pip install "xl-quintus[server]"``, then
import ``xl_quintus.custom_functions`` in the server's custom functions package, or write
``from xl_quintus.custom_functions import *`` in Lite's ``main.py``).
"""

from .functions import *  # noqa: F401,F403
from .functions import __all__  # noqa: F401
