// The referral directory's map: a click asks the server which commune holds the point and
// opens that commune's directory. Only commune outlines are drawn; no facility is shown here.
(function () {
  "use strict";
  var el = document.getElementById("referral-map");
  if (!el || !window.L || !window.registryUnitMap) { return; }
  var map = window.registryUnitMap(el, { style: { weight: 1, color: "#555", fillOpacity: 0.05 } });
  map.on("click", function (e) {
    var url = el.dataset.atUrl + "?lon=" + e.latlng.lng.toFixed(5) + "&lat=" + e.latlng.lat.toFixed(5);
    fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (data && data.commune) {
          window.location.href = el.dataset.communeUrl.replace("CODE", encodeURIComponent(data.commune.code));
        } else {
          var text = document.createElement("span");
          text.textContent = el.dataset.notFound;
          L.popup().setLatLng(e.latlng).setContent(text).openOn(map);
        }
      });
  });
})();
