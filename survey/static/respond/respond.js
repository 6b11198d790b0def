// Link survey screen: reveal conditional questions and "other" boxes as answers change, and keep a
// double tap from sending the last screen twice (the server also stores at most one response).
(function () {
  "use strict";
  var form = document.querySelector("form[data-screen]");
  if (!form) return;

  function valuesOf(code) {
    var inputs = form.querySelectorAll('[name="q_' + code + '"]');
    if (!inputs.length) return null;  // the controlling question is on another screen
    var out = [];
    inputs.forEach(function (el) {
      if ((el.type === "radio" || el.type === "checkbox") ? el.checked : el.value !== "") {
        var n = parseInt(el.value, 10);
        out.push(isNaN(n) ? el.value : n);
      }
    });
    return out;
  }

  function refresh() {
    form.querySelectorAll("fieldset[data-show-if]").forEach(function (fs) {
      var cond = JSON.parse(fs.getAttribute("data-show-if"));
      var values = valuesOf(cond.item);
      if (values === null) return;
      var show = values.some(function (v) { return cond["in"].indexOf(v) >= 0; });
      fs.hidden = !show;
    });
    form.querySelectorAll("[data-other-for]").forEach(function (box) {
      var chosen = form.querySelector('[name="q_' + box.getAttribute("data-other-for") + '"][data-other]');
      box.hidden = !(chosen && chosen.checked);
    });
  }

  // An "exclusive" choice (e.g. "None") clears the others, and any other choice clears it.
  form.addEventListener("change", function (ev) {
    var el = ev.target;
    if (el.type !== "checkbox" || !el.checked) return;
    form.querySelectorAll('input[type=checkbox][name="' + el.name + '"]').forEach(function (other) {
      if (other !== el && (el.hasAttribute("data-exclusive") || other.hasAttribute("data-exclusive"))) {
        other.checked = false;
      }
    });
  });
  form.addEventListener("change", refresh);
  refresh();

  var sent = false;
  form.addEventListener("submit", function (ev) {
    if (sent) { ev.preventDefault(); return; }
    sent = true;
    var last = form.querySelector("[data-once]");
    if (last) setTimeout(function () { last.disabled = true; }, 0);
  });

  window.addEventListener("pageshow", function () {  // back-forward cache: allow sending again
    sent = false;
    var last = form.querySelector("[data-once]");
    if (last) last.disabled = false;
  });

  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
})();
