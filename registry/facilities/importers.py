"""Compatibility only: the importer is now the package ``registry.facilities.imports``.

Kept while tests/facilities/test_exporters.py (outside this refactor) still imports
``importers``; delete this module once it imports ``registry.facilities.imports``.
"""

from registry.facilities.imports import *  # noqa: F403
from registry.facilities.imports import __all__  # noqa: F401
from registry.facilities.imports.parsing import parse_text as _text  # noqa: F401
