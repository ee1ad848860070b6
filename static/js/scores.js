// Score entry (academics/results): a teacher's grid as a spreadsheet. Without this script the grid is
// a plain form that posts every cell at once ("Save scores").
//
// - Keys: ↑ ↓ Enter (Shift+Enter up) move along a column, ← → along a row at the edge of a cell's
//   text, Tab as usual, Escape puts back what the cell held when you came to it.
// - Paste: several lines pasted into a cell fill its column downwards, tab-separated values across.
// - Each cell is checked as it is typed (0 to the maximum, ABS, or blank) and saved as you go to the
//   grid's cell endpoint. Nothing typed is lost on a slow or dropped line: the latest value of each
//   cell waits in a queue; a row's saves go one at a time (each against the version the last one
//   returned), a few rows at once; a failed save is retried with growing pauses while offline; the
//   page warns before it is left with anything unsaved.
// - Totals and grades follow the typing, with the server's arithmetic: exact sums of score / maximum ×
//   weight, shown rounded half up at one decimal, the grade from the shown total (the bands come in a
//   data attribute).
// - A cell another teacher changed since the page was read shows what they saved: keep yours (saved
//   again over their version) or take theirs.
(function () {
  "use strict";
  var form = document.querySelector("form[data-score-grid]");
  var table = form && form.querySelector("table.sc-grid");
  if (!table) return;

  var cellUrl = form.getAttribute("data-cell-url");
  var bands = JSON.parse(form.getAttribute("data-bands") || "[]").map(function (b) {
    return { letter: b.letter, min: tenths(b.min), max: tenths(b.max) };
  });
  var components = {};
  JSON.parse(form.getAttribute("data-components") || "[]").forEach(function (c) {
    components[String(c.id)] = { max: hundredths(c.max), weight: hundredths(c.weight) };
  });
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var statusLine = form.querySelector("[data-status]");
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  var cells = rows.map(function (tr) {
    return Array.prototype.slice.call(tr.querySelectorAll("input.sc-input"));
  });

  var LANES = 4; // rows saved at once
  var DEBOUNCE_MS = 300;
  var TIMEOUT_MS = 20000;
  var pending = new Map(); // "student:component" -> input, in the order first typed
  var inflight = new Map(); // student id -> input being saved
  var invalid = new Set();
  var saves = 0;
  var offline = false;
  var backoff = 0;
  var retryTimer = null;
  var pumpTimer = null;
  var stopped = "";

  // --- numbers, as the server counts them ------------------------------------------------------

  function hundredths(text) {
    var m = /^(\d*)(?:\.(\d*))?$/.exec(String(text).trim().replace(",", "."));
    if (!m || (m[1] === "" && !m[2])) return null;
    var frac = (m[2] || "").replace(/0+$/, "");
    if (frac.length > 2) return null;
    return BigInt((m[1] || "0") + (frac + "00").slice(0, 2));
  }

  function tenths(text) {
    var h = hundredths(text);
    return h === null ? null : h / 10n;
  }

  // A cell's text read like compute.parse_cell: {blank} | {absent} | {value: hundredths} | {error}.
  function parse(text, component) {
    var t = String(text || "").trim();
    if (!t) return { blank: true, text: "" };
    if (t.toUpperCase() === "ABS") return { absent: true, text: "ABS" };
    var m = /^(\d*)(?:[.,](\d*))?$/.exec(t);
    if (!m || (m[1] === "" && !m[2])) {
      return { error: "“" + t.slice(0, 12) + "” is not a score: type a number from 0 to " + show(component.max) + ", ABS, or leave it blank." };
    }
    var value = hundredths(t);
    if (value === null) return { error: t.slice(0, 12) + " has too many decimals: use at most two." };
    if (value > component.max) return { error: t.slice(0, 12) + " is out of range: scores here go from 0 to " + show(component.max) + "." };
    return { value: value, text: show(value) };
  }

  // Hundredths as the server writes a cell: 750n -> "7.5", 1000n -> "10".
  function show(h) {
    var whole = h / 100n;
    var frac = String(h % 100n).padStart(2, "0").replace(/0+$/, "");
    return frac ? whole + "." + frac : String(whole);
  }

  function canonical(text) {
    var p = parse(text, { max: 10n ** 12n });
    return p.error ? String(text || "").trim() : p.text;
  }

  function gcd(a, b) {
    while (b) {
      var t = a % b;
      a = b;
      b = t;
    }
    return a;
  }

  // Sum of score / max × weight over the row, exact; shown half up at one decimal.
  function figures(tr) {
    var num = 0n;
    var den = 1n;
    var any = false;
    var complete = true;
    tr.querySelectorAll("input.sc-input").forEach(function (input) {
      var component = components[input.getAttribute("data-component")];
      var p = parse(input.value, component);
      if (p.error || p.blank) {
        complete = false;
        return;
      }
      any = true;
      if (p.absent) return;
      var n = p.value * component.weight;
      var d = component.max * 100n;
      num = num * d + n * den;
      den = den * d;
      var g = gcd(num, den) || 1n;
      num /= g;
      den /= g;
    });
    if (!any) return { total: "", grade: "", complete: complete };
    var t = (20n * num + den) / (2n * den); // tenths, half up
    var total = t / 10n + "." + (t % 10n);
    var band = complete ? bands.find(function (b) { return b.min <= t && t <= b.max; }) : null;
    return { total: total, grade: band ? band.letter : "", complete: complete };
  }

  function refresh(tr) {
    var f = figures(tr);
    tr.querySelector("[data-total] .sc-figure").textContent = f.total;
    tr.querySelector("[data-total] .sc-so-far").hidden = !f.total || f.complete;
    tr.querySelector("[data-grade]").textContent = f.grade;
  }

  // --- a cell's state on the page ------------------------------------------------------------------

  function rowOf(input) {
    return input.closest("tr");
  }

  function keyOf(input) {
    return rowOf(input).getAttribute("data-student") + ":" + input.getAttribute("data-component");
  }

  function setError(input, message) {
    var td = input.closest("td");
    var id = input.id + "-error";
    var note = document.getElementById(id);
    if (message) {
      if (!note) {
        note = document.createElement("p");
        note.id = id;
        note.className = "field-error sc-error";
        td.appendChild(note);
      }
      note.textContent = message;
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", id);
      td.classList.add("has-error");
      invalid.add(input);
    } else {
      if (note) note.remove();
      input.removeAttribute("aria-invalid");
      if (input.getAttribute("aria-describedby") === id) input.removeAttribute("aria-describedby");
      td.classList.remove("has-error");
      invalid.delete(input);
    }
  }

  function setSeen(input, text) {
    input.setAttribute("data-seen", text);
    var hidden = form.querySelector('input[type=hidden][name="seen-' + input.name.slice(5) + '"]');
    if (hidden) hidden.value = text;
  }

  function setVersion(tr, version) {
    tr.setAttribute("data-version", String(version));
    var hidden = tr.querySelector('input[type=hidden][name^="version-"]');
    if (hidden) hidden.value = String(version);
  }

  function conflictOf(input) {
    return input.closest("td").querySelector(".sc-conflict");
  }

  function clearConflict(input) {
    var box = conflictOf(input);
    if (box) box.remove();
    input.closest("td").classList.remove("has-conflict");
    if (input.getAttribute("aria-describedby") === input.id + "-conflict") input.removeAttribute("aria-describedby");
  }

  function showConflict(input, who, theirs) {
    clearConflict(input);
    var td = input.closest("td");
    var box = document.createElement("div");
    box.className = "sc-conflict";
    box.id = input.id + "-conflict";
    box.setAttribute("role", "alert");
    var words = document.createElement("p");
    words.textContent = (who || "Someone") + " saved " + (theirs || "blank") + " here.";
    var keep = document.createElement("button");
    keep.type = "button";
    keep.textContent = "Keep mine (" + (input.value.trim() || "blank") + ")";
    keep.setAttribute("data-keep", "");
    var take = document.createElement("button");
    take.type = "button";
    take.textContent = "Take theirs (" + (theirs || "blank") + ")";
    take.setAttribute("data-take", "");
    box.appendChild(words);
    box.appendChild(keep);
    box.appendChild(take);
    td.appendChild(box);
    td.classList.add("has-conflict");
    input.setAttribute("aria-describedby", box.id);
  }

  // --- the save queue -----------------------------------------------------------------------------

  function unsaved() {
    return pending.size + inflight.size;
  }

  function status() {
    if (!statusLine) return;
    var text;
    var kind = "";
    if (stopped) {
      text = stopped;
      kind = "is-stopped";
    } else if (offline) {
      text = "Offline — retrying… (" + unsaved() + " unsaved)";
      kind = "is-offline";
    } else if (unsaved()) {
      text = "Saving…";
    } else if (saves) {
      text = "All changes saved";
      kind = "is-saved";
    } else {
      text = "";
    }
    if (invalid.size) text += (text ? " · " : "") + invalid.size + (invalid.size === 1 ? " cell needs" : " cells need") + " attention";
    statusLine.textContent = text;
    statusLine.className = "sc-status " + kind;
  }

  function enqueue(input, now) {
    if (stopped) return;
    pending.set(keyOf(input), input);
    input.closest("td").classList.add("is-saving");
    clearTimeout(pumpTimer);
    pumpTimer = setTimeout(pump, now ? 0 : DEBOUNCE_MS);
    status();
  }

  function pump() {
    if (stopped || offline) return;
    pending.forEach(function (input, key) {
      var student = rowOf(input).getAttribute("data-student");
      if (inflight.size >= LANES || inflight.has(student)) return;
      pending.delete(key);
      send(input, student);
    });
    status();
  }

  function send(input, student) {
    var tr = rowOf(input);
    var component = input.getAttribute("data-component");
    var text = input.value;
    if (parse(text, components[component]).error) {
      input.closest("td").classList.remove("is-saving");
      return; // what is typed now is not a score: it waits for the teacher
    }
    inflight.set(student, input);
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, TIMEOUT_MS) : null;
    fetch(cellUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({
        student_id: Number(student),
        component_id: Number(component),
        text: text,
        seen_version: Number(tr.getAttribute("data-version")),
        seen_text: input.getAttribute("data-seen")
      }),
      signal: controller ? controller.signal : undefined
    })
      .then(function (response) {
        var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
        return (json ? response.json() : Promise.resolve(null)).then(function (data) {
          return { status: response.status, data: data };
        });
      })
      .then(function (answer) {
        clearTimeout(timer);
        inflight.delete(student);
        answered(input, text, answer.status, answer.data);
        pump();
      })
      .catch(function () {
        clearTimeout(timer);
        inflight.delete(student);
        retryLater(input);
      });
  }

  // A save that did not arrive (or whose answer did not): the cell goes back in the queue unless a
  // newer value of it already waits there. Saving the same text again is harmless on the server.
  function retryLater(input) {
    if (!pending.has(keyOf(input))) pending.set(keyOf(input), input);
    offline = true;
    backoff = Math.min(30000, backoff ? backoff * 2 : 1000);
    clearTimeout(retryTimer);
    retryTimer = setTimeout(function () {
      offline = false;
      pump();
    }, backoff);
    status();
  }

  window.addEventListener("online", function () {
    if (!offline) return;
    clearTimeout(retryTimer);
    offline = false;
    pump();
  });

  function answered(input, sent, code, data) {
    var error = data && data.error;
    if (code === 200 && data && data.state) {
      offline = false;
      backoff = 0;
      saves += 1;
      applyState(data.state, input, sent);
    } else if (code === 409 && error && error.code === "score_conflict") {
      var c = error.fields.conflict;
      applyState(c.row, input, null);
      setSeen(input, c.text);
      input.closest("td").classList.remove("is-saving");
      if (!pending.has(keyOf(input))) showConflict(input, c.updated_by, c.text);
    } else if (code === 400 && error) {
      input.closest("td").classList.remove("is-saving");
      var messages = error.fields && error.fields[input.name];
      setError(input, (messages && messages[0]) || error.message);
    } else if (code === 409 || code === 403 || code === 404) {
      stop((error && error.message) || "This grid can no longer be saved.");
    } else {
      retryLater(input); // a server error or a sign-in page: keep the value, try again
      return;
    }
    status();
  }

  // The row as the server holds it now: its version, each cell's saved text (shown in cells the
  // teacher has not changed since), and the live figures.
  function applyState(state, saved, sent) {
    var tr = table.querySelector('tr[data-student="' + state.student_id + '"]');
    if (!tr) return;
    setVersion(tr, state.version);
    tr.querySelectorAll("input.sc-input").forEach(function (input) {
      var text = state.cells[input.getAttribute("data-component")];
      if (text === undefined) return;
      var before = input.getAttribute("data-seen");
      setSeen(input, text);
      var waiting = pending.has(keyOf(input));
      if (input === saved) {
        if (!waiting) input.closest("td").classList.remove("is-saving");
        if (!waiting && canonical(input.value) === canonical(sent)) clearConflict(input);
      } else if (!waiting && !conflictOf(input) && canonical(input.value) === canonical(before)) {
        input.value = text;
      }
    });
    refresh(tr);
  }

  function stop(message) {
    stopped = message + " Reload the page to see the grid as it is now.";
    pending.clear();
    cells.forEach(function (row) {
      row.forEach(function (input) {
        input.readOnly = true;
        input.closest("td").classList.remove("is-saving");
      });
    });
    status();
  }

  // --- typing, moving, pasting ---------------------------------------------------------------------

  function edited(input, now) {
    var p = parse(input.value, components[input.getAttribute("data-component")]);
    setError(input, p.error || "");
    if (conflictOf(input)) clearConflict(input); // typing over a conflict keeps what is typed
    refresh(rowOf(input));
    if (!p.error) enqueue(input, now);
    else {
      pending.delete(keyOf(input));
      input.closest("td").classList.remove("is-saving");
      status();
    }
  }

  function position(input) {
    for (var r = 0; r < cells.length; r++) {
      var c = cells[r].indexOf(input);
      if (c >= 0) return [r, c];
    }
    return null;
  }

  function moveTo(r, c) {
    var target = cells[r] && cells[r][c];
    if (!target) return false;
    target.focus();
    target.select();
    target.scrollIntoView({ block: "nearest", inline: "nearest" });
    return true;
  }

  form.addEventListener("keydown", function (event) {
    var input = event.target;
    if (!input.classList || !input.classList.contains("sc-input") || event.altKey || event.ctrlKey || event.metaKey) return;
    var at = position(input);
    if (!at) return;
    var r = at[0];
    var c = at[1];
    var start = input.selectionStart;
    var end = input.selectionEnd;
    var length = input.value.length;
    var whole = start === 0 && end === length;
    if (event.key === "Enter") {
      event.preventDefault(); // never submits the grid half-way: Enter moves on
      if (event.shiftKey) moveTo(r - 1, c);
      else if (!moveTo(r + 1, c)) moveTo(0, c + 1);
    } else if (event.key === "ArrowDown") {
      event.preventDefault();
      moveTo(r + 1, c);
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      moveTo(r - 1, c);
    } else if (event.key === "ArrowLeft" && (whole || (start === 0 && end === 0))) {
      if (moveTo(r, c - 1)) event.preventDefault();
    } else if (event.key === "ArrowRight" && (whole || (start === length && end === length))) {
      if (moveTo(r, c + 1)) event.preventDefault();
    } else if (event.key === "Escape" && input.hasAttribute("data-before")) {
      if (input.value !== input.getAttribute("data-before")) {
        input.value = input.getAttribute("data-before");
        edited(input, false);
      }
      input.select();
    }
  });

  form.addEventListener("focusin", function (event) {
    var input = event.target;
    if (input.classList && input.classList.contains("sc-input")) {
      input.setAttribute("data-before", input.value);
      input.select();
    }
  });

  form.addEventListener("input", function (event) {
    if (event.target.classList && event.target.classList.contains("sc-input")) edited(event.target, false);
  });

  // A cell left: its value need not wait for the pause after typing.
  form.addEventListener("change", function (event) {
    if (event.target.classList && event.target.classList.contains("sc-input") && pending.has(keyOf(event.target))) {
      clearTimeout(pumpTimer);
      pump();
    }
  });

  form.addEventListener("paste", function (event) {
    var input = event.target;
    if (!input.classList || !input.classList.contains("sc-input") || !event.clipboardData) return;
    var text = event.clipboardData.getData("text/plain");
    if (!/[\t\r\n]/.test(text.replace(/[\r\n]+$/, ""))) return; // one value: the browser pastes it
    event.preventDefault();
    var lines = text.replace(/\r\n?/g, "\n").replace(/\n+$/, "").split("\n");
    var at = position(input);
    var filled = 0;
    var left = 0;
    lines.forEach(function (line, i) {
      line.split("\t").forEach(function (value, j) {
        var target = cells[at[0] + i] && cells[at[0] + i][at[1] + j];
        if (!target) {
          left += 1;
          return;
        }
        target.value = value.trim();
        edited(target, false);
        filled += 1;
      });
    });
    announce(
      "Pasted " + filled + (filled === 1 ? " score" : " scores") +
        (left ? "; " + left + (left === 1 ? " value did not fit" : " values did not fit") + " in the grid" : "") + "."
    );
  });

  form.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-keep], button[data-take]");
    if (!button) return;
    var input = button.closest("td").querySelector("input.sc-input");
    if (button.hasAttribute("data-take")) {
      input.value = input.getAttribute("data-seen");
      clearConflict(input);
      setError(input, "");
      refresh(rowOf(input));
      status();
    } else {
      clearConflict(input);
      enqueue(input, true);
    }
    input.focus();
  });

  // With this script every cell is saved as it is typed: the button only hurries what waits.
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearTimeout(pumpTimer);
    pump();
    if (invalid.size) {
      var first = cells.reduce(function (found, row) {
        return found || row.find(function (input) { return invalid.has(input); });
      }, null);
      if (first) first.focus();
    }
    status();
  });

  window.addEventListener("beforeunload", function (event) {
    if (!unsaved() || stopped) return;
    event.preventDefault();
    event.returnValue = "";
  });

  var note = document.createElement("p");
  note.className = "visually-hidden";
  note.setAttribute("aria-live", "polite");
  form.appendChild(note);

  function announce(text) {
    note.textContent = text;
  }

  // --- start: a conflict the server showed gets its buttons; what the page was posted with and not
  // saved yet (a refused post keeps what was typed) goes into the queue.
  cells.forEach(function (row) {
    row.forEach(function (input) {
      var box = conflictOf(input);
      if (box) {
        showConflict(input, box.textContent.split(" saved ")[0], input.getAttribute("data-seen"));
      } else if (canonical(input.value) !== canonical(input.getAttribute("data-seen"))) {
        var p = parse(input.value, components[input.getAttribute("data-component")]);
        if (p.error) invalid.add(input);
        else enqueue(input, false);
      }
    });
  });
  rows.forEach(refresh);
  status();
})();
