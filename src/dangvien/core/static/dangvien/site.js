// The site's only script (the Content-Security-Policy allows no inline script):
// - a form with data-confirm asks before it is sent (irreversible actions);
// - an element with data-progress-url asks for a running job's progress every second and shows it
//   in the page's data-progress-status, data-progress-bar and data-progress-text elements; it reloads
//   the page when the job has finished.
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  function pollProgress(box) {
    var url = box.getAttribute("data-progress-url");
    var bar = document.querySelector("progress[data-progress-bar]");
    var text = document.querySelector("[data-progress-text]");
    var status = document.querySelector("[data-progress-status]");
    function poll() {
      fetch(url, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (data) {
        if (status) { status.textContent = data.status_label; }
        if (bar) {
          bar.value = data.percent;
          bar.textContent = data.percent + "%";
        }
        if (text) { text.textContent = data.text; }
        if (data.finished) { window.location.reload(); } else { setTimeout(poll, 1000); }
      }).catch(function () { setTimeout(poll, 1000); });
    }
    setTimeout(poll, 1000);
  }

  document.querySelectorAll("[data-progress-url]").forEach(pollProgress);
})();
