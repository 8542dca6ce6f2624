// Shades the current communes by a demand layer's band; the popup shows the count as the
// server wrote it ("< 5" for a protected small number). No library beyond Leaflet.
(function () {
  "use strict";
  var el = document.getElementById("demand-map");
  if (!el || !window.L) { return; }
  var values = JSON.parse(el.dataset.values || "{}").units || {};
  var colours = { "0": "#f7fbff", small: "#deebf7", "1": "#9ecae1", "2": "#6baed6", "3": "#3182bd", "4": "#08519c" };
  var map = L.map(el).setView([11.2, 107.0], 8);
  if (el.dataset.tileUrl) {
    L.tileLayer(el.dataset.tileUrl, { attribution: el.dataset.tileAttribution || "" }).addTo(map);
  }
  fetch(el.dataset.boundaries, { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (data) {
      var layer = L.geoJSON(data, {
        style: function (f) {
          var v = values[f.properties.code];
          return { weight: 1, color: "#555", fillOpacity: 0.7, fillColor: v ? colours[v.band] : "#ffffff" };
        },
        onEachFeature: function (f, lyr) {
          var v = values[f.properties.code];
          var text = document.createElement("span");
          text.textContent = f.properties.name + ": " + (v ? v.text : "—");
          lyr.bindPopup(text);
        }
      }).addTo(map);
      if (layer.getBounds().isValid()) { map.fitBounds(layer.getBounds()); }
    });
})();
