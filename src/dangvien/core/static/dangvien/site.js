// The site's own script (the Content-Security-Policy allows no inline script): a form with
// data-confirm asks before it is sent (irreversible actions). A running job's progress is polled by
// jobs/progress.js, which the job's partial loads.
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
})();
