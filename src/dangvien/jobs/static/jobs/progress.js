// Follows a live job (templates/jobs/_progress.html): polls its progress URL every second, updates
// the bar, its caption and the status label, and reloads the page once the job has finished or stalled.
(function () {
  document.querySelectorAll("[data-job-progress]").forEach(function (marker) {
    var prefix = marker.dataset.jobPrefix;
    var bar = document.getElementById(prefix + "-progress");
    var text = document.getElementById(prefix + "-progress-text");
    var status = marker.dataset.jobStatus ? document.getElementById(marker.dataset.jobStatus) : null;
    function poll() {
      fetch(marker.dataset.jobProgress, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (data) {
        if (status) { status.textContent = data.status_label; }
        if (bar) {  // some states show their status only
          bar.value = data.percent;
          bar.textContent = data.percent + "%";
          text.textContent = data.text;
        }
        if (data.finished) { window.location.reload(); } else { setTimeout(poll, 1000); }
      }).catch(function () { setTimeout(poll, 1000); });
    }
    setTimeout(poll, 1000);
  });
})();
