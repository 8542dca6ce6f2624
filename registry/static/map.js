/* The planner's map: clustered facility markers, administrative boundaries with an optional
   shading by capacity per 10,000 people, planning radius circles, and, for planners, proposing
   a facility by clicking and moving a planned one by dragging.
   Everything it needs comes from the #map element's data-config (CSP: no inline script). */
(function () {
  "use strict";
  var el = document.getElementById("map");
  if (!el || !window.L) { return; }
  var cfg = JSON.parse(el.dataset.config);
  var T = cfg.text;
  var types = {};
  cfg.types.forEach(function (t) { types[t.code] = t; });

  var BREAKS = [0, 5, 10, 20, 40];
  var COLOURS = ["#ffffcc", "#c2e699", "#78c679", "#31a354", "#006837"];
  var NO_DATA_FILL = "url(#map-nodata-hatch)";

  // --- small helpers -------------------------------------------------------------------------

  function fmt(value, decimals) {
    if (value === null || value === undefined || value === "") { return ""; }
    var parts = Number(value).toFixed(decimals || 0).split(".");
    parts[0] = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ".");
    return parts.length > 1 ? parts[0] + "," + parts[1] : parts[0];
  }
  function safeColor(value) {
    return /^#[0-9a-fA-F]{3,8}$/.test(value || "") ? value : "#0d6efd";
  }
  function withArgs(url, args) {
    var query = new URLSearchParams(args).toString();
    if (!query) { return url; }
    return url + (url.indexOf("?") < 0 ? "?" : "&") + query;
  }
  var messageBox = document.getElementById("map-message");
  function message(text, kind) {
    if (!messageBox) { return; }
    messageBox.className = "alert py-1 px-2 small alert-" + (kind || "info");
    messageBox.textContent = text;
  }
  function node(tag, className, text) {
    var n = document.createElement(tag);
    if (className) { n.className = className; }
    if (text !== undefined && text !== null) { n.textContent = String(text); }
    return n;
  }
  function row(dl, label, value) {
    if (value === null || value === undefined || value === "") { return; }
    dl.appendChild(node("dt", null, label));
    dl.appendChild(node("dd", null, value));
  }

  // --- the map and its basemap ---------------------------------------------------------------

  // maxZoom on the map itself: marker clustering needs it even when no basemap is set.
  var map = L.map(el, { zoomControl: true, maxZoom: 19, minZoom: 5 }).setView([16.0, 106.5], 6);
  map.createPane("radius");
  map.getPane("radius").style.zIndex = 450;
  map.getPane("radius").style.pointerEvents = "none";
  var radiusRenderer = L.canvas({ pane: "radius" });

  (function baseLayer() {
    if (!cfg.tileUrl) { return; }
    var layer = L.tileLayer(cfg.tileUrl, { attribution: cfg.tileAttribution, maxZoom: 19 });
    var failed = 0, notice = null;
    layer.on("tileerror", function () {
      failed += 1;
      if (failed === 3 && !notice) {
        notice = L.control({ position: "bottomleft" });
        notice.onAdd = function () {
          var div = L.DomUtil.create("div", "leaflet-bar bg-white p-1 small tiles-unavailable");
          div.setAttribute("data-testid", "tiles-unavailable");
          div.textContent = T.tilesUnavailable;
          return div;
        };
        notice.addTo(map);
      }
    });
    layer.addTo(map);
  })();

  // --- facility markers ----------------------------------------------------------------------

  var markers = {};
  var icons = {};
  var dataLoaded = false;
  var cluster = L.markerClusterGroup({
    chunkedLoading: true,
    chunkInterval: 150,
    chunkDelay: 10,
    maxClusterRadius: 45,
    disableClusteringAtZoom: 14,
    showCoverageOnHover: false,
    chunkProgress: function (processed, total) {
      // Also called when the group is added to the map, before any data has arrived.
      if (dataLoaded && processed === total) { ready(total); }
    }
  });
  map.addLayer(cluster);
  // One popup for every marker, built on click: 20,000 bound popups would slow the loading.
  var facilityPopup = L.popup({ offset: [0, -4] });
  function openFacilityPopup(marker) {
    facilityPopup.setLatLng(marker.getLatLng()).setContent(popupContent(marker)).openOn(map);
  }
  cluster.on("click", function (e) { openFacilityPopup(e.layer); });

  // The data holds only facilities in the reader's jurisdiction, so no province check here;
  // the server checks it again on every move.
  function draggable(p) {
    return cfg.canPropose && p.status === "planned" && !p.gen;
  }
  function iconFor(p) {
    var key = [p.type, p.own, p.status, p.gen ? 1 : 0].join("|");
    if (!icons[key]) {
      var cls = "fm fm-" + p.own + " fm-" + p.status + (p.gen ? " fm-gen" : "");
      var colour = safeColor((types[p.type] || {}).color);
      icons[key] = L.divIcon({
        className: "fm-icon", iconSize: [14, 14],
        html: '<span class="' + cls + '" style="--c:' + colour + '"></span>'
      });
    }
    return icons[key];
  }
  function popupContent(marker) {
    var f = marker.feature, p = f.properties;
    var root = node("div", "map-popup");
    root.setAttribute("data-testid", "facility-popup");
    root.appendChild(node("strong", null, p.name));
    var dl = node("dl");
    row(dl, T.code, p.code);
    row(dl, T.type, (types[p.type] || {}).name || p.type);
    row(dl, T.status, cfg.statusLabels[p.status] || p.status);
    row(dl, T.ownership, cfg.ownershipLabels[p.own] || p.own);
    row(dl, T.capacity, fmt(p.cap));
    if (p.prec) { row(dl, T.location, cfg.precisionLabels[p.prec] || p.prec); }
    root.appendChild(dl);
    if (p.gen) {
      var note = node("div", "text-danger small mb-1", T.generalised);
      note.setAttribute("data-testid", "generalised-note");
      root.appendChild(note);
    }
    if (draggable(p)) { root.appendChild(node("div", "text-muted small mb-1", T.dragHint)); }
    var link = node("a", null, T.open);
    link.href = cfg.detailUrl.replace(cfg.idPlaceholder, String(f.id));
    root.appendChild(link);
    return root;
  }
  function makeMarker(f) {
    var c = f.geometry.coordinates;
    var canDrag = draggable(f.properties);
    var marker = L.marker([c[1], c[0]], {
      icon: iconFor(f.properties), draggable: canDrag, title: f.properties.name,
      riseOnHover: true, autoPan: canDrag
    });
    marker.feature = f;
    if (canDrag) {
      marker.on("dragstart", function () { marker._origin = marker.getLatLng(); });
      marker.on("dragend", function () { askToMove(marker); });
    }
    markers[f.id] = marker;
    return marker;
  }
  var countBox = document.getElementById("map-count");
  function ready(total) {
    if (el.dataset.state === "ready") { return; }
    el.dataset.count = String(total);
    if (countBox) { countBox.textContent = T.count.replace("%(n)s", fmt(total)); }
    if (total > 0) {
      var bounds = L.latLngBounds([]);
      Object.keys(markers).forEach(function (id) { bounds.extend(markers[id].getLatLng()); });
      map.fitBounds(bounds, { maxZoom: 12, padding: [20, 20] });
    }
    mark("ready");
    el.dataset.state = "ready";
    drawRadius();
  }

  // Milliseconds since navigation when each step ended (read by the benchmark).
  var timing = {};
  function mark(step) { timing[step] = Math.round(performance.now()); }
  mark("script");
  fetch(cfg.dataUrl, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
    .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
    .then(function (collection) {
      mark("data");
      dataLoaded = true;
      var list = collection.features.map(makeMarker);
      mark("markers");
      cluster.addLayers(list);
    })
    .catch(function (err) {
      message(T.loadFailed, "danger");
      el.dataset.state = "error";
      el.dataset.error = String(err);
    });

  // --- proposing a facility (planners) -------------------------------------------------------

  var proposing = false;
  var toggle = document.getElementById("propose-toggle");
  if (toggle && cfg.canPropose) {
    toggle.addEventListener("click", function () {
      proposing = !proposing;
      toggle.setAttribute("aria-pressed", proposing ? "true" : "false");
      toggle.classList.toggle("active", proposing);
      el.classList.toggle("map-proposing", proposing);
      if (proposing) { message(T.proposeHint, "info"); }
    });
    map.on("click", function (e) {
      if (!proposing) { return; }
      var args = { lat: e.latlng.lat.toFixed(6), lon: e.latlng.lng.toFixed(6), status: "planned" };
      if (cfg.filterTypes && cfg.filterTypes.length === 1) { args.type = cfg.filterTypes[0]; }
      window.location.assign(withArgs(cfg.newUrl, args));
    });
  }

  // --- moving a planned facility (planners) --------------------------------------------------

  var dialog = document.getElementById("relocate-dialog");
  var reasonBox = document.getElementById("relocate-reason");
  var errorBox = document.getElementById("relocate-error");
  var moving = null;

  function revert() {
    if (moving && moving._origin) { moving.setLatLng(moving._origin); }
    moving = null;
  }
  function closeDialog() {
    if (dialog && dialog.open) { dialog.close(); }
  }
  function askToMove(marker) {
    moving = marker;
    if (!dialog || typeof dialog.showModal !== "function") { revert(); return; }
    document.getElementById("relocate-name").textContent =
      marker.feature.properties.code + " — " + marker.feature.properties.name;
    reasonBox.value = "";
    errorBox.textContent = "";
    dialog.showModal();
    reasonBox.focus();
  }
  function send(marker, reason) {
    var to = marker.getLatLng();
    var url = cfg.relocateUrl.replace(cfg.idPlaceholder, String(marker.feature.id));
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json",
                 "X-CSRFToken": cfg.csrfToken },
      body: JSON.stringify({ lon: to.lng, lat: to.lat, reason: reason,
                             version: marker.feature.properties.ver })
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) {
        return { ok: r.ok, status: r.status, body: body };
      });
    });
  }
  if (dialog) {
    document.getElementById("relocate-cancel").addEventListener("click", function () {
      revert();
      closeDialog();
    });
    dialog.addEventListener("cancel", function () { revert(); });
    dialog.querySelector("form").addEventListener("submit", function (e) {
      e.preventDefault();
      var reason = reasonBox.value.trim();
      if (!reason || !moving) { reasonBox.focus(); return; }
      var marker = moving;
      send(marker, reason).then(function (res) {
        if (res.ok && res.body.feature) {
          marker.feature = res.body.feature;
          marker._origin = null;
          moving = null;
          closeDialog();
          message(res.body.message || T.moved, "success");
          drawRadius();
          return;
        }
        var details = [];
        var errors = (res.body && res.body.errors) || {};
        Object.keys(errors).forEach(function (k) { details = details.concat(errors[k]); });
        var text = (res.body && res.body.error) || T.moveFailed;
        details.forEach(function (d) { if (d !== text) { text += " " + d; } });
        errorBox.textContent = text;
        if (res.status === 409) { message(text, "warning"); }
      }).catch(function () { errorBox.textContent = T.moveFailed; });
    });
  }

  // --- planning radius -----------------------------------------------------------------------

  var radiusLayer = L.layerGroup().addTo(map);
  var radiusType = document.getElementById("radius-type");
  var radiusKm = document.getElementById("radius-km");
  var radiusShow = document.getElementById("radius-show");
  function defaultRadius() {
    var option = radiusType && radiusType.selectedOptions[0];
    if (option && radiusKm) { radiusKm.value = option.dataset.radius || ""; }
  }
  function drawRadius() {
    radiusLayer.clearLayers();
    if (!radiusShow || !radiusShow.checked || !radiusType) { return; }
    var code = radiusType.value;
    var km = parseFloat(String(radiusKm.value).replace(",", "."));
    if (!(km > 0)) { return; }
    var colour = safeColor((types[code] || {}).color);
    Object.keys(markers).forEach(function (id) {
      var m = markers[id], p = m.feature.properties;
      if (p.type !== code || p.status === "closed") { return; }
      L.circle(m.getLatLng(), {
        radius: km * 1000, renderer: radiusRenderer, interactive: false,
        color: colour, weight: 1, fillOpacity: 0.06
      }).addTo(radiusLayer);
    });
    el.dataset.radiusCircles = String(radiusLayer.getLayers().length);
  }
  if (radiusType) {
    defaultRadius();
    radiusType.addEventListener("change", function () { defaultRadius(); drawRadius(); });
    radiusKm.addEventListener("input", drawRadius);
    radiusShow.addEventListener("change", drawRadius);
  }

  // --- administrative boundaries and shading -------------------------------------------------

  var edition = "2025";
  var boundaryLayers = {};
  var capacityData = {};
  var levelBoxes = Array.prototype.slice.call(document.querySelectorAll("input[data-level]"));
  var shade = document.getElementById("choropleth");
  var shadeLegend = document.getElementById("choropleth-legend");

  function key(ed, level) { return ed + "/" + level; }
  function boundaryUrl(ed, level) {
    var url = cfg.boundariesUrl.replace("EDITION", ed).replace("LEVEL", level);
    // Current provinces keep their codes, so a province narrows the commune layer.
    if (ed === "2025" && level === "commune" && cfg.province) {
      url = withArgs(url, { province: cfg.province });
    }
    return url;
  }
  function capacityUrl(ed, level) { return withArgs(cfg.capacityUrl, { edition: ed, level: level }); }
  function levelShown(level) {
    return levelBoxes.some(function (box) {
      var wrap = box.closest("[data-edition]");
      return box.dataset.level === level && box.checked &&
        (!wrap || wrap.dataset.edition === edition);
    });
  }
  function shadedLevel() {
    var lower = edition === "2025" ? "commune" : "district";
    return levelShown(lower) ? lower : "province";
  }
  function classOf(value) {
    var i = BREAKS.length - 1;
    while (i > 0 && value < BREAKS[i]) { i -= 1; }
    return i;
  }
  function unitFigures(ed, level, code) {
    var data = capacityData[key(ed, level)];
    return data && data.units ? data.units[code] : undefined;
  }
  function styleFor(ed, level) {
    return function (feature) {
      var base = level === "province"
        ? { color: "#343a40", weight: 1.6, fillOpacity: 0, fillColor: "#000" }
        : { color: "#6c757d", weight: 0.8, fillOpacity: 0, fillColor: "#000",
            dashArray: ed === "pre2025" ? "4 3" : null };
      if (shade && shade.checked && level === shadedLevel() && ed === edition) {
        var unit = unitFigures(ed, level, feature.properties.code);
        if (!unit || unit.per10k === null || unit.per10k === undefined) {
          base.fillColor = NO_DATA_FILL;
          base.fillOpacity = 0.8;
        } else {
          base.fillColor = COLOURS[classOf(unit.per10k)];
          base.fillOpacity = 0.65;
        }
      }
      return base;
    };
  }
  function unitPopup(ed, level, props, latlng) {
    var root = node("div", "map-popup");
    root.appendChild(node("strong", null, props.full_name || props.name));
    var dl = node("dl");
    row(dl, T.code, props.code);
    var unit = unitFigures(ed, level, props.code);
    if (props.population) {
      row(dl, T.population, fmt(props.population) + " (" + props.population_year + ")");
    } else {
      row(dl, T.population, T.noData);
    }
    if (unit) {
      row(dl, T.facilities, fmt(unit.n));
      row(dl, T.capacity, fmt(unit.cap));
      if (unit.per10k !== null && unit.per10k !== undefined) {
        row(dl, T.perTenThousand, fmt(unit.per10k, 1));
      }
    }
    root.appendChild(dl);
    if (unit) { root.appendChild(node("div", "small text-muted", T.definition)); }
    L.popup().setLatLng(latlng).setContent(root).openOn(map);
  }
  function loadLayer(ed, level) {
    var k = key(ed, level);
    if (boundaryLayers[k]) { return Promise.resolve(boundaryLayers[k]); }
    return fetch(boundaryUrl(ed, level), { credentials: "same-origin",
                                           headers: { Accept: "application/geo+json" } })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(function (collection) {
        var layer = L.geoJSON(collection, {
          style: styleFor(ed, level),
          onEachFeature: function (feature, lyr) {
            lyr.on("click", function (e) {
              if (!proposing) { unitPopup(ed, level, feature.properties, e.latlng); }
            });
          }
        });
        layer.unitCount = collection.features.length;
        boundaryLayers[k] = layer;
        return layer;
      });
  }
  function loadCapacity(ed, level) {
    var k = key(ed, level);
    if (capacityData[k]) { return Promise.resolve(capacityData[k]); }
    return fetch(capacityUrl(ed, level), { credentials: "same-origin",
                                           headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(function (data) { capacityData[k] = data; return data; });
  }
  function updateShadeLegend(data) {
    if (!shadeLegend) { return; }
    var on = shade && shade.checked;
    shadeLegend.hidden = !on;
    if (!on) { return; }
    var list = document.getElementById("choropleth-classes");
    list.textContent = "";
    BREAKS.forEach(function (low, i) {
      var li = node("li");
      var swatch = node("span", "choropleth-swatch");
      swatch.style.background = COLOURS[i];
      li.appendChild(swatch);
      var high = BREAKS[i + 1];
      li.appendChild(document.createTextNode(
        high === undefined ? "≥ " + fmt(low) : fmt(low) + " – < " + fmt(high)));
      list.appendChild(li);
    });
    var years = (data && data.years) || [];
    document.getElementById("choropleth-years").textContent =
      years.length ? T.populationYears.replace("%(years)s", years.join(", ")) : "";
  }
  function refreshBoundaries() {
    levelBoxes.forEach(function (box) {
      var wrap = box.closest("[data-edition]");
      if (wrap) { wrap.hidden = wrap.dataset.edition !== edition; }
    });
    Object.keys(boundaryLayers).forEach(function (k) { map.removeLayer(boundaryLayers[k]); });
    var wanted = ["province", edition === "2025" ? "commune" : "district"].filter(levelShown);
    if (shade && shade.checked && wanted.length === 0) {
      document.getElementById("layer-province").checked = true;
      wanted = ["province"];
    }
    var shadeWanted = shade && shade.checked;
    var target = shadedLevel();
    var capacity = shadeWanted ? loadCapacity(edition, target) : Promise.resolve(null);
    var ed = edition;
    el.dataset.boundaries = "loading";
    return capacity.then(function (data) {
      updateShadeLegend(data);
      return Promise.all(wanted.map(function (level) { return loadLayer(ed, level); }));
    }).then(function (layers) {
      if (ed !== edition) { return; }
      layers.forEach(function (layer, i) {
        layer.setStyle(styleFor(ed, wanted[i]));
        layer.addTo(map);
      });
      if (layers.length > 1) { layers[layers.length - 1].bringToFront(); }
      el.dataset.boundaries = wanted.map(function (level, i) {
        return level + ":" + layers[i].unitCount;
      }).join(",") || "none";
    }).catch(function () {
      message(T.loadFailed, "warning");
      el.dataset.boundaries = "error";
    });
  }
  document.querySelectorAll("input[name=edition]").forEach(function (radio) {
    radio.addEventListener("change", function () {
      if (radio.checked) { edition = radio.value; refreshBoundaries(); }
    });
  });
  levelBoxes.forEach(function (box) { box.addEventListener("change", refreshBoundaries); });
  if (shade) { shade.addEventListener("change", refreshBoundaries); }
  refreshBoundaries();

  // For tests and the benchmark: read-only access to the map and its markers.
  el.registryMap = { map: map, markers: markers, cluster: cluster, timing: timing,
                     openPopup: openFacilityPopup };
})();
