// Small page behaviours without inline handlers (the Content-Security-Policy forbids them):
// <form data-confirm="…"> asks before submitting, <button data-action="print"> prints the page,
// <select data-autosubmit> submits its form when changed, and <select data-picker> becomes a
// searchable picker (below). Without JavaScript every one of them is a plain, working control.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  }, true);
  document.addEventListener("click", function (event) {
    var target = event.target.closest && event.target.closest("[data-action=print]");
    if (target) window.print();
  });
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select.matches && select.matches("select[data-autosubmit]") && select.form) select.form.submit();
  });

  // Searchable picker: the ARIA 1.2 combobox pattern (a text box with a listbox popup) over a <select>
  // that stays in the form, hidden, and keeps the value that is submitted. Typing filters the options
  // by words, ignoring accents and case ("ha tinh" finds "Hà Tĩnh"); ↑/↓ move, Enter or Tab choose,
  // Escape closes and restores the choice; a tap on an option chooses it.
  var pickers = 0;

  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[đĐ]/g, "d").toLowerCase();
  }

  function makePicker(select) {
    var n = ++pickers, base = select.id || "picker-" + n;
    var box = document.createElement("div"), input = document.createElement("input");
    var list = document.createElement("ul"), status = document.createElement("p");
    var options = Array.prototype.map.call(select.options, function (opt, i) {
      var li = document.createElement("li");
      li.id = base + "-opt-" + i;
      li.setAttribute("role", "option");
      li.textContent = opt.text;
      return {opt: opt, li: li, words: fold(opt.text)};
    });
    var shown = [], active = -1;

    box.className = "picker";
    input.type = "text";
    input.id = base + "-search";
    input.className = "picker-input";
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", base + "-list");
    input.setAttribute("autocomplete", "off");
    input.setAttribute("spellcheck", "false");
    input.placeholder = select.getAttribute("data-picker-placeholder") || "";
    ["aria-describedby", "aria-invalid", "aria-required"].forEach(function (name) {
      if (select.hasAttribute(name)) input.setAttribute(name, select.getAttribute(name));
    });
    var label = select.id && document.querySelector("label[for='" + select.id + "']");
    if (label) {
      label.id = label.id || base + "-label";
      label.htmlFor = input.id;              // a click on the label focuses the text box
      input.setAttribute("aria-labelledby", label.id);
    } else if (select.getAttribute("aria-label")) {
      input.setAttribute("aria-label", select.getAttribute("aria-label"));
    }
    list.id = base + "-list";
    list.className = "picker-list";
    list.setAttribute("role", "listbox");
    if (label) list.setAttribute("aria-labelledby", label.id);
    list.hidden = true;
    options.forEach(function (o) { list.appendChild(o.li); });
    status.className = "picker-status visually-hidden";
    status.setAttribute("role", "status");

    function chosenText() {
      var opt = select.options[select.selectedIndex];
      return opt ? opt.text : "";
    }
    function setActive(i) {
      if (active >= 0 && shown[active]) shown[active].li.removeAttribute("aria-selected");
      active = i;
      if (i < 0 || !shown[i]) { input.removeAttribute("aria-activedescendant"); return; }
      shown[i].li.setAttribute("aria-selected", "true");
      input.setAttribute("aria-activedescendant", shown[i].li.id);
      shown[i].li.scrollIntoView({block: "nearest"});
    }
    function filter(query) {
      var words = fold(query).split(/\s+/).filter(Boolean);
      shown = [];
      options.forEach(function (o) {
        var hit = words.every(function (w) { return o.words.indexOf(w) >= 0; });
        o.li.hidden = !hit;
        if (hit) shown.push(o);
      });
      var template = select.getAttribute(shown.length ? "data-picker-count" : "data-picker-none") || "";
      status.textContent = template.replace("{n}", String(shown.length));
      setActive(-1);
    }
    function open(query) {
      filter(query);
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      var current = shown.map(function (o) { return o.opt; }).indexOf(select.options[select.selectedIndex]);
      setActive(query ? (shown.length ? 0 : -1) : current);
    }
    function close(restore) {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      setActive(-1);
      if (restore) input.value = chosenText();
    }
    function choose(o) {
      var changed = select.value !== o.opt.value;
      select.value = o.opt.value;
      input.value = o.opt.text;
      close(false);
      if (changed) select.dispatchEvent(new Event("change", {bubbles: true}));
    }

    input.addEventListener("input", function () { open(input.value); });
    input.addEventListener("focus", function () { input.select(); });
    input.addEventListener("click", function () { if (list.hidden) open(""); });
    input.addEventListener("blur", function () { close(true); });
    input.addEventListener("keydown", function (event) {
      var key = event.key;
      if (key === "ArrowDown" || key === "ArrowUp") {
        event.preventDefault();
        if (list.hidden) { open(""); return; }
        var step = key === "ArrowDown" ? 1 : -1;
        if (shown.length) setActive((active + step + shown.length) % shown.length);
      } else if (key === "Enter") {
        if (!list.hidden) {
          event.preventDefault();              // choosing, not submitting the form
          if (active >= 0) choose(shown[active]); else close(true);
        }
      } else if (key === "Tab") {
        if (!list.hidden && active >= 0) choose(shown[active]); else close(true);
      } else if (key === "Escape") {
        if (!list.hidden) { event.preventDefault(); close(true); }
      }
    });
    // mousedown would blur the text box before the click lands: keep the focus, then choose on click.
    list.addEventListener("mousedown", function (event) { event.preventDefault(); });
    list.addEventListener("click", function (event) {
      var li = event.target.closest("[role=option]");
      var hit = li && options.filter(function (o) { return o.li === li; })[0];
      if (hit) { choose(hit); input.focus(); }
    });
    select.addEventListener("change", function () { input.value = chosenText(); });

    input.value = chosenText();
    if (select.required) {              // a hidden required control would block the form with no visible message
      select.required = false;
      input.setAttribute("aria-required", "true");
    }
    select.hidden = true;
    select.setAttribute("aria-hidden", "true");
    select.tabIndex = -1;
    select.classList.add("picker-source");
    select.parentNode.insertBefore(box, select);
    box.appendChild(input);
    box.appendChild(list);
    box.appendChild(status);
    box.appendChild(select);
  }

  Array.prototype.forEach.call(document.querySelectorAll("select[data-picker]"), makePicker);
})();
