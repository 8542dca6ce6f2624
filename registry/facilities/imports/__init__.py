"""Importing facilities from CSV, XLSX and GeoJSON files.

Three steps, each in its module. *Reading* (``readers``) checks that the file is what its
extension says and turns it into numbered rows of raw cell values. *Validation* (``plan``,
with ``parsing`` for the cells) turns each row into a ``FacilityInput`` and runs the services'
own rules over it, collecting every problem with the row number and column the user sees,
plus possible duplicates, into an ``ImportPlan`` that the preview shows. *Applying*
(``writing.apply``) writes a plan without problems through the facility services in the caller's
single transaction. ``columns`` defines the file format, ``lookups`` reads a whole file's
units and neighbours at once, ``uploads`` keeps a file between preview and confirmation.

Callers use this package's names: ``imports.read_file`` → ``imports.validate`` →
``imports.apply``.
"""

from registry.facilities.imports.columns import (
    COLUMNS,
    EXTRA_COLUMNS,
    OWNERSHIP_VALUES,
    STATUS_VALUES,
    Column,
)
from registry.facilities.imports.lookups import BatchLookups
from registry.facilities.imports.parsing import CellError
from registry.facilities.imports.plan import (
    ImportPlan,
    Jurisdiction,
    PlannedRow,
    PossibleDuplicate,
    Preview,
    Problem,
    column_label,
    validate,
)
from registry.facilities.imports.readers import (
    SourceFile,
    SourceRow,
    UploadRejected,
    detect_format,
    read_file,
    table_records,
)
from registry.facilities.imports.uploads import UploadStore
from registry.facilities.imports.writing import ImportFailed, apply

__all__ = [
    "COLUMNS",
    "EXTRA_COLUMNS",
    "OWNERSHIP_VALUES",
    "STATUS_VALUES",
    "BatchLookups",
    "CellError",
    "Column",
    "ImportFailed",
    "ImportPlan",
    "Jurisdiction",
    "PlannedRow",
    "PossibleDuplicate",
    "Preview",
    "Problem",
    "SourceFile",
    "SourceRow",
    "UploadRejected",
    "UploadStore",
    "apply",
    "column_label",
    "detect_format",
    "read_file",
    "table_records",
    "validate",
]
