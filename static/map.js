// The results page's map: the page's therapists as markers on Leaflet (static/vendor/leaflet).
// Without JavaScript, without Leaflet or without tiles the list stands alone: the map's box is
// hidden until this script shows it. Each marker is a button named after the therapist; its
// popup links to the card below (and the card takes focus). On phones a List / Map switch shows
// one of the two at a time; the map is drawn the first time it is shown.
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
  var list = document.querySelector(".result-list");
  var pager = document.querySelector(".results .pagination");
  var toggle = document.getElementById("view-switch");
  var phone = window.matchMedia("(max-width: 760px)");
  var map = null;

  function draw() {
    // The controls Leaflet writes itself, named in the page's language (the page says how).
    map = window.L.map(box, { scrollWheelZoom: false, zoomControl: false });
    window.L.control
      .zoom({ zoomInTitle: box.dataset.zoomIn, zoomOutTitle: box.dataset.zoomOut })
      .addTo(map);
    var credit = document.createElement("a");
    credit.href = "https://leafletjs.com";
    credit.title = box.dataset.leafletTitle;
    credit.textContent = "Leaflet";
    map.attributionControl.setPrefix(credit.outerHTML);
    window.L.tileLayer(box.dataset.tiles, {
      maxZoom: 18,
      attribution: box.dataset.attribution,
    }).addTo(map);
    var bounds = [];
    var seen = {};
    pins.forEach(function (pin, i) {
      var label = (i + 1) + ". " + pin.name + ", " + pin.place;
      // Offices are placed at their ZIP code's centre: pins that share one are set around it,
      // so each stays visible and clickable.
      var key = pin.lat + "," + pin.lon;
      var nth = seen[key] || 0;
      seen[key] = nth + 1;
      var angle = nth * 2.4;
      var spread = nth ? 0.004 : 0;
      var at = [pin.lat + spread * Math.sin(angle), pin.lon + spread * Math.cos(angle)];
      var marker = window.L.marker(at, {
        title: label,
        alt: label,
        keyboard: true,
        // The card's number, so a pin can be matched to its card.
        icon: window.L.divIcon({
          className: "map-pin",
          html: String(i + 1),
          iconSize: [28, 28],
          iconAnchor: [14, 14],
          popupAnchor: [0, -14],
        }),
      }).addTo(map);
      var link = document.createElement("a");
      link.href = "#card-" + pin.slug;
      link.textContent = pin.name + (pin.miles === null ? "" : " · " + pin.miles + " mi");
      link.addEventListener("click", function () {
        // On a phone the card is in the list: show it first.
        if (phone.matches) show("list");
        var card = document.getElementById("card-" + pin.slug);
        if (card) card.focus();
      });
      marker.bindPopup(link);
      bounds.push([pin.lat, pin.lon]);
    });
    if (box.dataset.center) {
      try {
        var center = JSON.parse(box.dataset.center);
        // Where the search was made from: a plain dot, not a button.
        window.L.circleMarker(center, {
          radius: 6, weight: 2, color: "#1f2933", fillOpacity: 0.15, interactive: false,
        }).addTo(map);
        bounds.push(center);
      } catch (e) {
        /* the pins alone */
      }
    }
    map.fitBounds(bounds, { padding: [32, 32], maxZoom: 14 });
  }

  // "list" or "map" on a phone; wider screens show both.
  function show(view) {
    var both = !phone.matches;
    box.hidden = !both && view !== "map";
    if (list) list.hidden = !both && view === "map";
    if (pager) pager.hidden = !both && view === "map";
    if (toggle) {
      toggle.hidden = both;
      toggle.querySelectorAll("[data-view]").forEach(function (button) {
        button.setAttribute("aria-pressed", String(button.dataset.view === view));
      });
    }
    if (!box.hidden) {
      if (map === null) draw();
      else map.invalidateSize();
    }
  }

  if (toggle) {
    toggle.addEventListener("click", function (event) {
      var button = event.target.closest("[data-view]");
      if (button) show(button.dataset.view);
    });
  }
  phone.addEventListener("change", function () {
    show("list");
  });
  show("list");
})();
