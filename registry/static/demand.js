// Shades the current communes by a demand layer's band; the popup shows the count as the
// server wrote it ("< 5" for a protected small number).
(function () {
  "use strict";
  var el = document.getElementById("demand-map");
  if (!el || !window.L || !window.registryUnitMap) { return; }
  var values = JSON.parse(el.dataset.values || "{}").units || {};
  var colours = { "0": "#f7fbff", small: "#deebf7", "1": "#9ecae1", "2": "#6baed6", "3": "#3182bd", "4": "#08519c" };
  window.registryUnitMap(el, {
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
  });
})();
