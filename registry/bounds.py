"""Vietnam's extent, shared by the pure coordinate code and the geometry helpers."""

# Vietnam with its islands, generously bounded (lon, lat); the Trường Sa (Spratly) islands
# reach below 8°N. Only a first, coarse check: the province polygons decide.
VIETNAM_BBOX = (102.1, 6.0, 117.9, 23.5)
