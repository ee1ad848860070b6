// Flagged payments: a decision refused (no reason given: 400; decided by someone else first: 409)
// comes back as the payment's card saying why, an answer to show rather than a failure.
(function () {
  "use strict";
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if ((status === 400 || status === 409) && event.detail.target.closest("[data-flagged]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  // The button pressed is gone with the old card: focus what the new one says (its outcome or
  // error, else the field to correct), so keyboard and screen-reader users stay in place.
  document.addEventListener("htmx:afterSettle", function (event) {
    // An outerHTML swap reports the card it replaced (now detached): find its successor by id.
    var old = event.detail.target;
    var card = old && old.id ? document.getElementById(old.id) : null;
    if (!card || !card.closest("[data-flagged]")) return;
    var next = card.querySelector("[aria-invalid=true]") || card.querySelector("[data-autofocus]");
    if (next) next.focus();
  });
})();
