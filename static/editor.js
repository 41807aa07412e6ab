// Filter-as-you-type for the condition and modality checklists. Progressive enhancement only:
// without this script every checkbox is shown and the form works the same.
(function () {
  "use strict";
  function normalize(text) {
    return text.toLowerCase().normalize("NFKD").replace(/[\u0300-\u036f]/g, "").trim();
  }
  document.querySelectorAll("input[data-filter]").forEach(function (input) {
    var fieldset = document.getElementById(input.getAttribute("data-filter"));
    if (!fieldset) { return; }
    input.closest("label").hidden = false;
    input.addEventListener("input", function () {
      var wanted = normalize(input.value);
      fieldset.querySelectorAll(".checklist-group").forEach(function (group) {
        var shown = 0;
        group.querySelectorAll("li").forEach(function (item) {
          var box = item.querySelector("input");
          var match = !wanted || box.checked || normalize(item.textContent).indexOf(wanted) !== -1;
          item.hidden = !match;
          if (match) { shown += 1; }
        });
        group.hidden = shown === 0;
      });
    });
  });
})();
