// The job page polls its JSON state until the job ends, then shows the download link or the error.
(function () {
  "use strict";
  var box = document.querySelector("[data-job]");
  if (!box) return;
  var bar = box.querySelector("[data-job-bar]"), label = box.querySelector("[data-job-label]");
  var count = box.querySelector("[data-job-count]"), message = box.querySelector("[data-job-message]");
  var download = box.querySelector("[data-job-download]"), link = box.querySelector("[data-job-link]");
  var summary = box.querySelector("[data-job-summary]");
  function show(s) {
    label.textContent = s.label;
    count.textContent = s.total ? s.done + " / " + s.total : "";
    if (s.percent !== null) bar.value = s.percent; else bar.removeAttribute("value");
    message.textContent = s.message || "";
    if (s.download) { download.hidden = false; download.querySelector("a").href = s.download; }
    if (s.summary && summary) { summary.hidden = false; summary.textContent = s.summary; }
    if (s.link && link) {
      link.hidden = false; link.querySelector("a").href = s.link; link.querySelector("a").textContent = s.link_label;
    }
    return s.finished;
  }
  function poll() {
    fetch(box.getAttribute("data-job"), {credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (s) { if (!show(s)) setTimeout(poll, 1000); })
      .catch(function () { setTimeout(poll, 3000); });
  }
  poll();
})();
