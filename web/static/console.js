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

  // Buttons whose question depends on a choice: data-confirm-option names
  // a select, and the chosen option's data-confirm holds the question.
  // Options without one go without asking.
  function watchConfirmOption(button) {
    button.addEventListener("click", function (e) {
      var select = document.getElementById(button.getAttribute("data-confirm-option"));
      var option = select && select.options[select.selectedIndex];
      var question = option && option.getAttribute("data-confirm");
      if (question && !window.confirm(question)) { e.preventDefault(); }
    });
  }

  // each runs fn once per element matching selector under root (key marks
  // the elements done): content htmx settles again must not ask its
  // questions twice.
  function each(root, selector, key, fn) {
    var list = root.querySelectorAll(selector);
    for (var i = 0; i < list.length; i++) {
      if (list[i][key]) { continue; }
      list[i][key] = true;
      fn(list[i]);
    }
  }

  function setUp(root) {
    each(root, "input[data-password]", "crewidPassword", watchPassword);
    each(root, "input[data-select-all]", "crewidSelectAll", watchSelectAll);
    each(root, "button[data-confirm]", "crewidConfirm", watchConfirm);
    each(root, "button[data-confirm-option]", "crewidConfirmOption", watchConfirmOption);
  }
  document.addEventListener("DOMContentLoaded", function () { setUp(document); });
  document.addEventListener("htmx:afterSettle", function (e) { setUp(e.target); });
})();
