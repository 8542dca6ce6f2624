// A Leaflet map of administrative units for the demand and referral pages: the basemap when
// a tile URL is set, and the unit outlines fetched from data-boundaries, fitted to the view.
window.registryUnitMap = function (el, geojsonOptions) {
  "use strict";
  var map = L.map(el).setView([11.2, 107.0], 8);
  if (el.dataset.tileUrl) {
    L.tileLayer(el.dataset.tileUrl, { attribution: el.dataset.tileAttribution || "" }).addTo(map);
  }
  fetch(el.dataset.boundaries, { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (data) {
      var layer = L.geoJSON(data, geojsonOptions).addTo(map);
      if (layer.getBounds().isValid()) { map.fitBounds(layer.getBounds()); }
    });
  return map;
};
