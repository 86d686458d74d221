/* Help-session form (templates/sessions/form.html): show only the fields that apply.
   An element with data-when="name=value1,value2" is shown when a checked input of that name holds
   one of the values; hidden, its fields are disabled (not sent, but what was typed stays).
   Without JavaScript every field is shown, with a hint saying when it applies. */
(function () {
  "use strict";
  var form = document.querySelector(".session-form");
  if (!form) { return; }
  var parts = Array.prototype.slice.call(form.querySelectorAll("[data-when]"));

  function applies(part) {
    var rule = part.getAttribute("data-when").split("=");
    var wanted = rule[1].split(",");
    return Array.prototype.some.call(form.querySelectorAll("input[name='" + rule[0] + "']:checked"), function (input) {
      return wanted.indexOf(input.value) !== -1;
    });
  }

  function update() {
    parts.forEach(function (part) {
      var shown = applies(part);
      part.hidden = !shown;
      Array.prototype.forEach.call(part.querySelectorAll("input, select"), function (field) {
        field.disabled = !shown;
      });
    });
  }

  form.addEventListener("change", update);
  update();
}());
