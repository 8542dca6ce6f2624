"""Imports every model module so the metadata is complete (migrations, tests, create_all)."""

from registry import freshness  # noqa: F401
from registry.api import models as api_models  # noqa: F401
from registry.audit import models as audit_models  # noqa: F401
from registry.auth import models as auth_models  # noqa: F401
from registry.demand import models as demand_models  # noqa: F401
from registry.facilities import models as facility_models  # noqa: F401
from registry.geography import models as geography_models  # noqa: F401
from registry.investment import models as investment_models  # noqa: F401
from registry.licensing import models as licensing_models  # noqa: F401
from registry.planning import models as planning_models  # noqa: F401
from registry.referrals import models as referral_models  # noqa: F401
