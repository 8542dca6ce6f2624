"""The planner's map: facilities, boundaries and capacity per unit, and map editing of planned
facilities. Register with ``from registry.maps import bp``."""

from registry.maps.views import bp

__all__ = ["bp"]
