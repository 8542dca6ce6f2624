/* Small Leaflet maps: show a facility, or pick a location in the facility form. */
(function () {
  "use strict";
  function baseLayer(map, el) {
    var url = el.dataset.tileUrl;
    if (!url) { return; }
    var layer = L.tileLayer(url, { attribution: el.dataset.tileAttribution, maxZoom: 19 });
    var failed = 0, notice = null;
    layer.on("tileerror", function () {
      failed += 1;
      if (failed === 3 && !notice) {
        notice = L.control({ position: "bottomleft" });
        notice.onAdd = function () {
          var div = L.DomUtil.create("div", "leaflet-bar bg-white p-1 small tiles-unavailable");
          div.textContent = el.dataset.tilesUnavailable;
          return div;
        };
        notice.addTo(map);
      }
    });
    layer.addTo(map);
  }
  function num(v) { var n = parseFloat(String(v).replace(",", ".")); return isFinite(n) ? n : null; }

  document.querySelectorAll(".map-mini").forEach(function (el) {
    var lat = num(el.dataset.lat), lon = num(el.dataset.lon);
    var has = lat !== null && lon !== null;
    var map = L.map(el).setView(has ? [lat, lon] : [12.7, 107.9], has ? 14 : 6);
    baseLayer(map, el);
    var marker = null;
    function place(ll) {
      if (marker) { marker.setLatLng(ll); } else { marker = L.marker(ll).addTo(map); }
    }
    if (has) {
      if (el.dataset.generalised === "true") {
        L.circle([lat, lon], { radius: 1500, color: "#dc3545" }).addTo(map);
      } else { place([lat, lon]); }
    }
    el._leafletMap = map;
    if (el.dataset.mode !== "pick") { return; }
    var latIn = document.getElementById("lat"), lonIn = document.getElementById("lon");
    map.on("click", function (e) {
      place(e.latlng);
      latIn.value = e.latlng.lat.toFixed(6);
      lonIn.value = e.latlng.lng.toFixed(6);
      var mapMode = document.querySelector("input[name=location_mode][value=map]");
      if (mapMode) { mapMode.checked = true; toggle(); }
    });
    [latIn, lonIn].forEach(function (input) {
      input.addEventListener("change", function () {
        var a = num(latIn.value), b = num(lonIn.value);
        if (a !== null && b !== null) { place([a, b]); map.setView([a, b], Math.max(map.getZoom(), 13)); }
      });
    });
    function toggle() {
      var mode = (document.querySelector("input[name=location_mode]:checked") || {}).value || "map";
      document.querySelectorAll("[data-location-mode]").forEach(function (row) {
        row.hidden = row.dataset.locationMode.split(" ").indexOf(mode) < 0;
      });
    }
    document.querySelectorAll("input[name=location_mode]").forEach(function (r) {
      r.addEventListener("change", toggle);
    });
    toggle();
  });
})();
