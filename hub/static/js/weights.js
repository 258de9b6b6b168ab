// Progressive enhancement of the need page's weight sliders (the page works without it):
// each slider's number follows it while dragging, and the "keep these weights" form saves what is shown.
(function () {
  "use strict";
  function follow(slider) {
    var targets = document.querySelectorAll('[data-weight-of="' + slider.id + '"]');
    var sibling = slider.parentNode.querySelector('output[for="' + slider.id + '"]');
    function update() {
      if (sibling) { sibling.value = slider.value; sibling.textContent = slider.value; }
      for (var i = 0; i < targets.length; i++) {
        if (targets[i].tagName === "INPUT") { targets[i].value = slider.value; }
        else { targets[i].textContent = slider.value; }
      }
    }
    slider.addEventListener("input", update);
    slider.addEventListener("change", update);
  }
  var sliders = document.querySelectorAll('.filters input[type="range"]');
  for (var i = 0; i < sliders.length; i++) { follow(sliders[i]); }
})();
