/* The portfolio map: one marker per project facility, from the page's data attribute (CSP:
   no inline script). Generalised points (confidential types) are drawn as a circle. */
(function () {
  "use strict";
  var el = document.getElementById("portfolio-map");
  if (!el || typeof L === "undefined") { return; }
  var points = JSON.parse(el.dataset.points || "[]");
  var map = L.map(el).setView([12.7, 107.9], 6);
  if (el.dataset.tileUrl) {
    L.tileLayer(el.dataset.tileUrl, { attribution: el.dataset.tileAttribution, maxZoom: 19 }).addTo(map);
  }
  var bounds = [];
  points.forEach(function (p) {
    var ll = [p.lat, p.lon];
    var layer = p.generalised
      ? L.circle(ll, { radius: 1500, color: "#dc3545" })
      : L.marker(ll);
    var link = document.createElement("a");
    link.href = p.url;
    link.textContent = p.label + (p.generalised ? " — " + el.dataset.generalisedNote : "");
    layer.bindPopup(link).addTo(map);
    bounds.push(ll);
  });
  if (bounds.length) { map.fitBounds(bounds, { maxZoom: 12, padding: [20, 20] }); }
  el.dataset.ready = String(points.length);
})();
