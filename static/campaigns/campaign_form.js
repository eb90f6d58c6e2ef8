// Campaign form: show the content fields of the chosen channel, and the A/B fields when the test is on.
(function () {
  "use strict";
  var form = document.getElementById("campaign-form");
  if (!form) return;
  var channel = form.querySelector("[name=channel]");
  var ab = form.querySelector("[name=ab_enabled]");
  function update() {
    var current = channel ? channel.value : "email";
    form.querySelectorAll("[data-channel]").forEach(function (section) {
      section.hidden = section.getAttribute("data-channel") !== current;
    });
    var abFields = document.getElementById("ab-fields");
    if (abFields && ab) abFields.hidden = !ab.checked;
  }
  if (channel) channel.addEventListener("change", update);
  if (ab) ab.addEventListener("change", update);
  update();
})();
