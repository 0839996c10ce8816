// The site's own script, written into every page under the Content-Security-Policy's nonce
// (base.html, inline_static; no other inline script is allowed): a form with
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
