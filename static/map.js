// The results page's map: the page's therapists as markers on Leaflet (static/vendor/leaflet).
// Without JavaScript, without Leaflet or without tiles the list stands alone: the map's box is
// hidden until this script shows it. Each marker is a button named after the therapist; its
// popup links to the card below (and the card takes focus).
(function () {
  "use strict";
  var box = document.getElementById("results-map");
  if (!box || typeof window.L === "undefined") return;
  var pins;
  try {
    pins = JSON.parse(box.dataset.pins || "[]");
  } catch (e) {
    return;
  }
  if (!pins.length) return;
  box.hidden = false;
  var map = window.L.map(box, { scrollWheelZoom: false });
  window.L.tileLayer(box.dataset.tiles, {
    maxZoom: 18,
    attribution: box.dataset.attribution,
  }).addTo(map);
  var bounds = [];
  pins.forEach(function (pin, i) {
    var label = (i + 1) + ". " + pin.name + ", " + pin.place;
    var marker = window.L.marker([pin.lat, pin.lon], {
      title: label,
      alt: label,
      keyboard: true,
    }).addTo(map);
    var link = document.createElement("a");
    link.href = "#card-" + pin.slug;
    link.textContent = pin.name + (pin.miles === null ? "" : " · " + pin.miles + " mi");
    link.addEventListener("click", function () {
      var card = document.getElementById("card-" + pin.slug);
      if (card) card.focus();
    });
    marker.bindPopup(link);
    bounds.push([pin.lat, pin.lon]);
  });
  if (box.dataset.center) {
    try {
      bounds.push(JSON.parse(box.dataset.center));
    } catch (e) {
      /* the pins alone */
    }
  }
  map.fitBounds(bounds, { padding: [24, 24], maxZoom: 14 });
})();
