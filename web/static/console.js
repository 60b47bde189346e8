// Console behaviour that needs a script. Everything here is a convenience:
// the server checks every rule again.
(function () {
  "use strict";

  // Password rules, shown as the person types.
  var checks = {
    length: function (v) { return v.length >= 10; },
    upper: function (v) { return /[A-Z]/.test(v); },
    lower: function (v) { return /[a-z]/.test(v); },
    digit: function (v) { return /[0-9]/.test(v); }
  };
  function watchPassword(input) {
    var form = input.form;
    var list = form && form.querySelector("[data-password-rules]");
    if (!list) { return; }
    function update() {
      var items = list.querySelectorAll("[data-rule]");
      for (var i = 0; i < items.length; i++) {
        var ok = checks[items[i].getAttribute("data-rule")](input.value);
        items[i].classList.toggle("met", ok);
        items[i].classList.toggle("unmet", !ok && input.value !== "");
      }
    }
    input.addEventListener("input", update);
    update();
  }

  // "Select all" checkboxes of a table: data-select-all names the
  // checkbox group by its input name.
  function watchSelectAll(box) {
    box.addEventListener("change", function () {
      var name = box.getAttribute("data-select-all");
      var boxes = document.querySelectorAll("input[type=checkbox][name='" + name + "']");
      for (var i = 0; i < boxes.length; i++) { boxes[i].checked = box.checked; }
    });
  }

  // Buttons that ask before a form goes (data-confirm holds the question).
  function watchConfirm(button) {
    button.addEventListener("click", function (e) {
      if (!window.confirm(button.getAttribute("data-confirm"))) { e.preventDefault(); }
    });
  }

  function setUp(root) {
    var i, list;
    list = root.querySelectorAll("input[data-password]");
    for (i = 0; i < list.length; i++) { watchPassword(list[i]); }
    list = root.querySelectorAll("input[data-select-all]");
    for (i = 0; i < list.length; i++) { watchSelectAll(list[i]); }
    list = root.querySelectorAll("[data-confirm]");
    for (i = 0; i < list.length; i++) { watchConfirm(list[i]); }
  }
  document.addEventListener("DOMContentLoaded", function () { setUp(document); });
  document.addEventListener("htmx:afterSettle", function (e) { setUp(e.target); });
})();
