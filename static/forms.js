// A search or filter form (any GET form) sends only the fields filled in, so the browser lands
// on the clean address the page's own links use, without the redirect the server answers a
// blank parameter with (web.without_blanks, which stays for browsers without this script).
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || (form.getAttribute("method") || "get").toLowerCase() !== "get") {
      return;
    }
    var dropped = [];
    Array.prototype.forEach.call(form.elements, function (field) {
      if (field.name && !field.disabled && typeof field.value === "string" &&
          !field.value.trim()) {
        field.disabled = true;
        dropped.push(field);
      }
    });
    // The form's data is taken as this event ends: give the fields back just after, so the
    // page (and the one the back button restores) keeps working.
    window.setTimeout(function () {
      dropped.forEach(function (field) { field.disabled = false; });
    }, 0);
  });
})();
