// Small page behaviours without inline handlers (the Content-Security-Policy forbids them):
// <form data-confirm="…"> asks before submitting, <button data-action="print"> prints the page,
// <select data-autosubmit> submits its form when changed.
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
})();
