// The officer's hand-off page: refresh the hand-offs' states and the kiosks' calls every few seconds,
// so the officer sees at once that a citizen started, gave the hand-off back, answered or called.
// Without JavaScript the page still works; it is then only as fresh as its last load.
(function () {
  "use strict";
  var box = document.getElementById("handoff-live");
  if (!box || !window.fetch) return;
  var url = box.getAttribute("data-live-url"), every = 5000, stopped = false;

  function refresh() {
    if (stopped || document.hidden) return;
    // Not while the officer is using a button inside it (the refresh would take it away mid-click).
    if (box.contains(document.activeElement) && document.activeElement !== box) return;
    fetch(url, {credentials: "same-origin", cache: "no-store", headers: {"X-Requested-With": "fetch"}})
      .then(function (r) {
        if (!r.ok || r.redirected) { stopped = r.status === 401 || r.status === 403 || r.redirected; return null; }
        return r.text();
      })
      .then(function (html) { if (html !== null && html !== undefined) box.innerHTML = html; })
      .catch(function () {});
  }
  box.setAttribute("data-refresh-ms", String(every));
  setInterval(refresh, every);
  document.addEventListener("visibilitychange", refresh);
})();
