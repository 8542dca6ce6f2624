/* Planning maps: scenario proposals (click to propose a facility), comparisons, coverage.
   Data comes from data-* attributes and JSON endpoints (CSP: no inline script). */
(function () {
  "use strict";
  var COLOURS = ["#d63384", "#0d6efd", "#fd7e14", "#198754", "#6f42c1"];

  function baseLayer(map, el) {
    var url = el.dataset.tileUrl;
    if (url) { L.tileLayer(url, { attribution: el.dataset.tileAttribution, maxZoom: 19 }).addTo(map); }
  }

  function fitTo(map, layers) {
    var group = L.featureGroup(layers);
    if (layers.length) { map.fitBounds(group.getBounds().pad(0.2), { maxZoom: 12 }); }
  }

  function label(text) {
    var span = document.createElement("span");
    span.textContent = text || "";
    return span;
  }

  function scenarioSources(map, el) {
    var sources = (el.dataset.sources || "").split(" ").filter(Boolean);
    var all = [];
    sources.forEach(function (src, i) {
      fetch(src, { credentials: "same-origin" }).then(function (r) { return r.json(); })
        .then(function (data) {
          data.features.forEach(function (f) {
            var c = f.geometry.coordinates;
            var m = L.circleMarker([c[1], c[0]], { radius: 8, color: COLOURS[i % COLOURS.length],
              fillOpacity: 0.7 }).bindPopup(label(f.properties.scenario + ": " + f.properties.name));
            m.addTo(map);
            all.push(m);
          });
          if (!el.dataset.boundary) { fitTo(map, all); }
        });
    });
  }

  /* Context for a scenario: the province's communes and the registry's facilities (grey),
     under the scenario's own proposals. */
  function scenarioContext(map, el) {
    if (el.dataset.boundary) {
      fetch(el.dataset.boundary, { credentials: "same-origin" }).then(function (r) { return r.json(); })
        .then(function (data) {
          var layer = L.geoJSON(data, { style: { color: "#6c757d", weight: 1, fillOpacity: 0.03 },
            interactive: false }).addTo(map);
          layer.bringToBack();
          if (layer.getLayers().length) { map.fitBounds(layer.getBounds(), { maxZoom: 12 }); }
        });
    }
    if (el.dataset.existing) {
      fetch(el.dataset.existing, { credentials: "same-origin" }).then(function (r) { return r.json(); })
        .then(function (data) {
          data.features.forEach(function (f) {
            var c = f.geometry.coordinates;
            L.circleMarker([c[1], c[0]], { radius: 5, color: "#495057", weight: 1,
              fillColor: "#adb5bd", fillOpacity: 0.8 })
              .bindPopup(label(f.properties.code + " · " + f.properties.name)).addTo(map);
          });
        });
    }
  }

  function enablePick(map, el) {
    var form = document.getElementById("item-form");
    if (!form || el.dataset.pick !== "true") { return; }
    var marker = null;
    map.on("click", function (e) {
      if (marker) { marker.setLatLng(e.latlng); } else { marker = L.marker(e.latlng).addTo(map); }
      form.querySelector("#lat").value = e.latlng.lat.toFixed(6);
      form.querySelector("#lon").value = e.latlng.lng.toFixed(6);
      form.querySelector("#action").value = "add";
      var name = form.querySelector("#name");
      name.focus();
      form.scrollIntoView({ behavior: "smooth", block: "start" });
    });
    var hint = L.control({ position: "topright" });
    hint.onAdd = function () {
      var div = L.DomUtil.create("div", "leaflet-bar bg-white p-1 small");
      div.textContent = el.dataset.hint || "";
      return div;
    };
    hint.addTo(map);
  }

  function coverage(map, el) {
    var data = JSON.parse(el.dataset.coverage || "null");
    if (!data) { return; }
    var layers = [];
    data.demand.forEach(function (d) {
      var colour = d[2] === true ? "#198754" : (d[2] === false ? "#dc3545" : "#6c757d");
      var m = L.circleMarker([d[1], d[0]], { radius: 5, color: colour, fillOpacity: 0.8 })
        .bindPopup(label(d[3]));
      m.addTo(map); layers.push(m);
    });
    data.supply.forEach(function (s) {
      L.circle([s[1], s[0]], { radius: data.radius_km * 1000, color: "#0d6efd", weight: 1,
        fillOpacity: 0.05 }).addTo(map);
      var m = L.marker([s[1], s[0]]).bindPopup(label(s[2]));
      m.addTo(map); layers.push(m);
    });
    fitTo(map, layers);
  }

  document.querySelectorAll(".planning-map").forEach(function (el) {
    var map = L.map(el).setView([11.0, 107.2], 8);
    baseLayer(map, el);
    scenarioContext(map, el);
    if (el.dataset.sources) { scenarioSources(map, el); }
    if (el.dataset.coverage) { coverage(map, el); }
    enablePick(map, el);
  });
})();
