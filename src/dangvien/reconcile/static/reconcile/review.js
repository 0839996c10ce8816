// The review page's keys (templates/reconcile/review.html): a accepts the selected candidate, 1-9
// select a candidate, r moves to the reason for rejecting them all, n opens the next member. The
// page works without it: every action is a plain form or link.
(function () {
  "use strict";
  var page = document.querySelector("[data-review]");
  if (!page) { return; }
  var cards = Array.prototype.slice.call(page.querySelectorAll("[data-candidate]"));

  function select(card) {
    cards.forEach(function (other) { other.removeAttribute("data-selected"); });
    card.setAttribute("data-selected", "");
    var button = card.querySelector(".accept-form button");
    if (button) { button.focus(); }
  }

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    var key = event.key;
    if (key === "a") {
      var chosen = page.querySelector("[data-selected] .accept-form");
      if (chosen) { event.preventDefault(); chosen.requestSubmit(); }
    } else if (key === "r") {
      var reason = document.getElementById("reject-reason");
      if (reason) { event.preventDefault(); reason.focus(); }
    } else if (key === "n") {
      var next = document.getElementById("next");
      if (next) { event.preventDefault(); window.location.assign(next.href); }
    } else if (/^[1-9]$/.test(key) && cards[Number(key) - 1]) {
      event.preventDefault();
      select(cards[Number(key) - 1]);
    }
  });
})();
