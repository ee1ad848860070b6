// The register page (academics): keyboard-first marking and live counts. Without this script the
// register is a plain form (every radio and box reachable by Tab, minutes late always shown).
//
// On a pupil's row, the key of one of the school's codes (AbsenceCode.key: p a l e …) marks the
// pupil and brings up the next one; a late mark asks for the minutes first. ↑ ↓ (or k j) move
// between pupils, ← → move between codes as radios do, Enter moves on and submits on the last pupil.
(function () {
  "use strict";
  document.documentElement.classList.add("js-register");

  function registerOf(node) {
    return node && node.closest ? node.closest("form[data-register]") : null;
  }

  function rowsOf(form) {
    return Array.prototype.slice.call(form.querySelectorAll(".reg-row"));
  }

  function kindOf(row) {
    var chosen = row.querySelector("input[type=radio]:checked");
    return chosen ? chosen.getAttribute("data-kind") : "present";
  }

  // The row's checked radio holds the focus for the row: a screen reader announces the pupil (the
  // radio group's name) and their mark.
  function focusRow(row) {
    if (!row) return;
    var target = row.querySelector("input[type=radio]:checked") || row.querySelector("input[type=radio]");
    target.focus();
    row.scrollIntoView({ block: "nearest" });
  }

  function refresh(form) {
    var counts = { present: 0, absent: 0, late: 0, excused: 0 };
    rowsOf(form).forEach(function (row) {
      var kind = kindOf(row);
      row.setAttribute("data-kind", kind);
      counts[kind] = (counts[kind] || 0) + 1;
    });
    Object.keys(counts).forEach(function (kind) {
      var figure = form.querySelector('[data-count="' + kind + '"]');
      if (figure) figure.textContent = counts[kind];
    });
  }

  function submit(form) {
    if (form.requestSubmit) form.requestSubmit();
    else form.submit();
  }

  function codeFor(row, key) {
    var radios = row.querySelectorAll("input[type=radio][data-key]");
    for (var i = 0; i < radios.length; i++) {
      if (radios[i].getAttribute("data-key") === key) return radios[i];
    }
    return null;
  }

  document.addEventListener("keydown", function (event) {
    var form = registerOf(event.target);
    if (!form || event.ctrlKey || event.metaKey || event.altKey) return;
    var row = event.target.closest(".reg-row");
    if (!row) return;
    var rows = rowsOf(form);
    var index = rows.indexOf(row);
    var next = rows[index + 1];
    var typing = event.target.matches("input[type=number], input[type=text]");
    if (event.key === "Enter") {
      // Enter never submits half-way down the register by accident: it moves on, and only the
      // last pupil's Enter submits.
      event.preventDefault();
      if (next) focusRow(next);
      else submit(form);
      return;
    }
    if (typing) return; // keys in a box are the minutes or the note
    var key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    var radio = key.length === 1 ? codeFor(row, key) : null;
    if (radio) {
      event.preventDefault();
      radio.checked = true;
      radio.dispatchEvent(new Event("change", { bubbles: true }));
      if (radio.getAttribute("data-kind") === "late") {
        var minutes = row.querySelector("[data-minutes]");
        minutes.focus();
        minutes.select();
      } else if (next) {
        focusRow(next);
      } else {
        radio.focus();
      }
    } else if (key === "ArrowDown" || key === "j") {
      event.preventDefault();
      focusRow(next);
    } else if (key === "ArrowUp" || key === "k") {
      event.preventDefault();
      focusRow(rows[index - 1]);
    }
  });

  document.addEventListener("change", function (event) {
    var form = registerOf(event.target);
    if (form && event.target.type === "radio") refresh(form);
  });

  // A refused register (400; 409 when another register marked a pupil first) comes back as the
  // form with its errors: an answer to show, not a failure.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if ((status === 400 || status === 409) && registerOf(event.detail.target)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  function start(form) {
    refresh(form);
    var summary = form.querySelector("#error-summary");
    if (summary) {
      summary.focus();
      return;
    }
    var rows = rowsOf(form);
    if (rows.length) focusRow(rows[0]);
  }

  document.addEventListener("htmx:afterSettle", function () {
    var form = document.getElementById("register-form");
    if (form) start(form);
  });

  function ready() {
    var form = document.querySelector("form[data-register]");
    if (form) start(form);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
