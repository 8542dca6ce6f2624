"""Planning: master plans as data, the rule engine, coverage analysis and siting."""
