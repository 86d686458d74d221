/* Map of help points (inclusion_app). Plain JavaScript on top of the vendored Leaflet 1.9.4.
 *
 * Reads its data from the page's <script type="application/json" id="map-data"> block (no inline
 * script: the CSP forbids it): district outlines, help points {id, nom, lat, lon, inactive?},
 * the detail-page URL prefix and the interface labels in the page's language.
 * Everything is drawn as vectors; no tile is loaded until the user presses the "Show background
 * map" button (#map-tiles, URL in its data-tile-url), which toggles the tile layer on and off.
 * Help points are keyboard reachable (Tab), Enter or Space opens a popup with a link to the
 * detail page, Escape closes it. Without JavaScript the page keeps its link to the list.
 */
(function () {
  "use strict";

  var POITIERS = [46.58, 0.34];
  var COLORS = { district: "#003d8f", point: "#003d8f", inactive: "#595959", focus: "#b35c00" };

  var container = document.getElementById("map");
  var dataBlock = document.getElementById("map-data");
  if (!container || !dataBlock || typeof L === "undefined") {
    return;
  }
  var data = JSON.parse(dataBlock.textContent);
  var labels = data.labels || {};
  // Many points: one canvas instead of one focusable SVG element each (the page says to use the list).
  var keyboardMarkers = data.keyboardMarkers !== false;

  container.textContent = "";
  container.style.height = "min(70vh, 34rem)";
  var map = L.map(container, {
    zoomControl: false,
    preferCanvas: !keyboardMarkers,
    minZoom: 5,
    maxZoom: 18
  });
  L.control.zoom({ zoomInTitle: labels.zoomIn, zoomOutTitle: labels.zoomOut }).addTo(map);
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');

  var districts = drawDistricts(data.districts, data.selectedDistrict);
  var markers = drawPoints(data.points);
  // Layers get their SVG elements once the map has a view: set it first, then add them.
  fitView(districts, markers, data.selectedDistrict);
  districts.addTo(map);
  markers.group.addTo(map);
  if (keyboardMarkers) {
    markers.group.eachLayer(makeFocusable);
  }
  setUpTiles(document.getElementById("map-tiles"));
  openFromHash(markers.byId);
  window.addEventListener("hashchange", function () { openFromHash(markers.byId); });

  function drawDistricts(outlines, selectedId) {
    var layer = L.geoJSON(null, {
      interactive: false,
      style: function (feature) {
        var selected = feature.id === selectedId;
        return { color: COLORS.district, weight: selected ? 3 : 1, opacity: selected ? 1 : 0.7,
                 fillOpacity: selected ? 0.08 : 0.02 };
      }
    });
    outlines.forEach(function (district) {
      layer.addData({ type: "Feature", id: district.id, properties: { name: district.name },
                      geometry: district.geometry });
    });
    return layer;
  }

  function drawPoints(points) {
    var group = L.featureGroup();
    var byId = {};
    points.forEach(function (point) {
      var marker = L.circleMarker([point.lat, point.lon], pointStyle(point, false));
      marker.bindPopup(popupContent(point), { closeButton: true, autoPanPadding: [24, 24] });
      marker.on("popupopen", function (event) { onPopupOpen(marker, event.popup); });
      marker.on("popupclose", function (event) { onPopupClose(marker, event.popup); });
      marker.addTo(group);
      byId[point.id] = marker;
      marker.pointData = point;
    });
    return { group: group, byId: byId };
  }

  function pointStyle(point, focused) {
    return { radius: focused ? 10 : 7, color: focused ? COLORS.focus : "#fff", weight: focused ? 4 : 2,
             fillColor: point.inactive ? COLORS.inactive : COLORS.point, fillOpacity: 1 };
  }

  function popupContent(point) {
    var wrapper = document.createElement("div");
    var link = document.createElement("a");
    link.href = data.detailPrefix + point.id;
    link.textContent = point.nom;
    wrapper.appendChild(link);
    if (point.inactive) {
      var note = document.createElement("p");
      note.textContent = labels.inactive;
      wrapper.appendChild(note);
    }
    return wrapper;
  }

  function makeFocusable(marker) {
    var element = marker.getElement();
    if (!element) {
      return;
    }
    element.setAttribute("tabindex", "0");
    element.setAttribute("role", "button");
    element.setAttribute("aria-label", marker.pointData.nom);
    element.addEventListener("focus", function () { marker.setStyle(pointStyle(marker.pointData, true)); });
    element.addEventListener("blur", function () { marker.setStyle(pointStyle(marker.pointData, false)); });
    element.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        event.stopPropagation();
        marker.openedByKeyboard = true;
        marker.openPopup();
      }
    });
  }

  function onPopupOpen(marker, popup) {
    var popupElement = popup.getElement();
    var close = popupElement.querySelector(".leaflet-popup-close-button");
    if (close && labels.closePopup) {
      close.setAttribute("aria-label", labels.closePopup);
      close.setAttribute("title", labels.closePopup);
    }
    popupElement.addEventListener("keydown", onPopupKeydown);
    if (marker.openedByKeyboard) {
      var link = popupElement.querySelector("a[href]:not(.leaflet-popup-close-button)");
      if (link) {
        link.focus();
      }
    }
  }

  function onPopupKeydown(event) {
    if (event.key === "Escape") {
      event.preventDefault();
      map.closePopup();
    }
  }

  function onPopupClose(marker, popup) {
    var popupElement = popup.getElement();
    var hadFocus = popupElement && popupElement.contains(document.activeElement);
    if ((marker.openedByKeyboard || hadFocus) && keyboardMarkers && marker.getElement()) {
      marker.getElement().focus();
    }
    marker.openedByKeyboard = false;
  }

  function fitView(districtLayer, points, selectedId) {
    var bounds = null;
    if (selectedId !== null && selectedId !== undefined) {
      districtLayer.eachLayer(function (layer) {
        if (layer.feature && layer.feature.id === selectedId) {
          bounds = layer.getBounds();
        }
      });
    }
    if (!bounds && points.group.getLayers().length) {
      bounds = points.group.getBounds();
    }
    if (!bounds && districtLayer.getLayers().length) {
      bounds = districtLayer.getBounds();
    }
    if (bounds && bounds.isValid()) {
      map.fitBounds(bounds, { padding: [24, 24], maxZoom: 15 });
    } else {
      map.setView(POITIERS, 12);
    }
  }

  function setUpTiles(button) {
    if (!button || !button.dataset.tileUrl) {
      return;
    }
    var tiles = null;
    button.hidden = false;
    button.addEventListener("click", function () {
      if (tiles) {
        map.removeLayer(tiles);
        tiles = null;
        button.textContent = labels.showTiles;
      } else {
        tiles = L.tileLayer(button.dataset.tileUrl, { attribution: data.tileAttribution, maxZoom: 19 });
        tiles.addTo(map);
        button.textContent = labels.hideTiles;
      }
    });
  }

  function openFromHash(byId) {
    var match = /^#point-(\d+)$/.exec(window.location.hash);
    var marker = match && byId[match[1]];
    if (marker) {
      map.setView(marker.getLatLng(), Math.max(map.getZoom(), 15));
      marker.openedByKeyboard = true;
      marker.openPopup();
    }
  }
})();
