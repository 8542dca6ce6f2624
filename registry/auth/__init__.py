"""Users, roles, jurisdictions, login and permission checks."""
