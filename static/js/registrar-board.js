/* The registrar board's keyboard and panel behaviour. Everything here is an addition: without it,
   the board is links, buttons and forms that work on their own. */
(function () {
  "use strict";

  var MOVE_KEYS = "riaexw";

  function registrar() { return document.querySelector("[data-registrar]"); }
  function board() { return document.getElementById("board"); }
  function panel() { return document.getElementById("panel"); }
  function columns() { return Array.prototype.slice.call(document.querySelectorAll("#board .cards")); }
  function cardsOf(list) { return Array.prototype.slice.call(list.querySelectorAll(":scope > .app-card")); }
  function allCards() { return Array.prototype.slice.call(document.querySelectorAll("#board .app-card")); }

  function isTyping(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  // --- Roving focus over the cards ---------------------------------------------------------------

  function setCurrent(card, focus) {
    allCards().forEach(function (c) { c.tabIndex = -1; });
    if (!card) return;
    card.tabIndex = 0;
    if (focus) card.focus();
  }

  function initRoving(preferId) {
    var card = preferId && document.getElementById(preferId);
    if (!card || !card.classList.contains("app-card")) card = document.querySelector("#board .app-card");
    setCurrent(card, false);
    return card;
  }

  function neighbour(card, dx, dy) {
    var lists = columns();
    var list = card.parentElement;
    var cards = cardsOf(list);
    var i = cards.indexOf(card);
    if (dy) return cards[Math.max(0, Math.min(cards.length - 1, i + dy))];
    var c = lists.indexOf(list) + dx;
    while (c >= 0 && c < lists.length) {
      var other = cardsOf(lists[c]);
      if (other.length) return other[Math.min(i, other.length - 1)];
      c += dx;
    }
    return card;
  }

  function onCardKey(event) {
    var card = event.target;
    if (!card.classList || !card.classList.contains("app-card")) return;
    var key = event.key, next = null;
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (key === "ArrowDown") next = neighbour(card, 0, 1);
    else if (key === "ArrowUp") next = neighbour(card, 0, -1);
    else if (key === "ArrowRight") next = neighbour(card, 1, 0);
    else if (key === "ArrowLeft") next = neighbour(card, -1, 0);
    else if (key === "Home") next = cardsOf(card.parentElement)[0];
    else if (key === "End") { var all = cardsOf(card.parentElement); next = all[all.length - 1]; }
    else if (key === "Enter") { event.preventDefault(); card.querySelector("[data-open]").click(); return; }
    else if (key === " ") {
      event.preventDefault();
      var box = card.querySelector("input[name=ids]");
      box.checked = !box.checked;
      box.dispatchEvent(new Event("change", { bubbles: true }));
      return;
    } else if (key.length === 1 && MOVE_KEYS.indexOf(key.toLowerCase()) >= 0) {
      var control = card.querySelector('[data-move="' + key.toLowerCase() + '"]');
      if (control) { event.preventDefault(); control.click(); }
      return;
    }
    if (next) { event.preventDefault(); setCurrent(next, true); }
  }

  // --- Bulk selection count ---------------------------------------------------------------------

  function updateSelected() {
    var boxes = document.querySelectorAll('#board input[name="ids"]');
    var n = 0;
    boxes.forEach(function (b) {
      if (b.checked) n += 1;
      var card = b.closest(".app-card");
      if (card) card.classList.toggle("is-selected", b.checked);
    });
    var out = document.querySelector("[data-selected-count]");
    if (out) out.textContent = n ? n + " selected" : "None selected";
  }

  // --- The panel --------------------------------------------------------------------------------

  var boardUrl = null, openerId = null;

  function closePanel() {
    var p = panel();
    if (!p || p.classList.contains("panel-page")) return;
    p.innerHTML = "";
    p.hidden = true;
    if (boardUrl) history.pushState({}, "", boardUrl);
    var card = openerId && document.getElementById(openerId);
    if (card) setCurrent(card, true);
  }

  function focusPanel() {
    var p = panel();
    if (!p) return;
    p.hidden = false;
    var target = p.querySelector("[data-autofocus]");
    if (target) {
      var first = target.querySelector("input, textarea, select, button");
      (first || target).focus();
      return;
    }
    var title = p.querySelector("#panel-title");
    if (title) title.focus();
  }

  function initTabs(root) {
    (root || document).querySelectorAll('[role="tablist"]').forEach(function (list) {
      var tabs = Array.prototype.slice.call(list.querySelectorAll('[role="tab"]'));
      tabs.forEach(function (tab) { tab.tabIndex = tab.getAttribute("aria-selected") === "true" ? 0 : -1; });
      list.onkeydown = function (event) {
        var i = tabs.indexOf(document.activeElement);
        if (i < 0) return;
        var j = null;
        if (event.key === "ArrowRight") j = (i + 1) % tabs.length;
        else if (event.key === "ArrowLeft") j = (i - 1 + tabs.length) % tabs.length;
        else if (event.key === "Home") j = 0;
        else if (event.key === "End") j = tabs.length - 1;
        else if (event.key === " ") { event.preventDefault(); tabs[i].click(); return; }
        if (j === null) return;
        event.preventDefault();
        tabs[i].tabIndex = -1;
        tabs[j].tabIndex = 0;
        tabs[j].focus();
      };
    });
  }

  // --- Wiring -----------------------------------------------------------------------------------

  document.addEventListener("DOMContentLoaded", function () {
    if (!registrar()) return;
    initRoving();
    initTabs();
    updateSelected();
    if (board()) board().addEventListener("keydown", onCardKey);
    document.addEventListener("change", function (event) {
      if (event.target.name === "ids") updateSelected();
    });
    document.addEventListener("click", function (event) {
      var card = event.target.closest && event.target.closest("#board .app-card");
      if (card) setCurrent(card, false);
      if (event.target.closest && event.target.closest("[data-panel-close]")) closePanel();
      if (event.target.closest && event.target.closest("[data-help-open]")) openHelp();
    });
    document.addEventListener("keydown", function (event) {
      if (isTyping(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
      if (event.key === "?") { event.preventDefault(); openHelp(); }
      else if (event.key === "/") {
        var q = document.getElementById("id_q");
        if (q) { event.preventDefault(); q.focus(); }
      } else if (event.key === "Escape" && panel() && !panel().hidden && !document.querySelector("dialog[open]")) {
        closePanel();
      }
    });
  });

  function openHelp() {
    var dialog = document.getElementById("board-help");
    if (dialog && !dialog.open) dialog.showModal();
  }

  // Forms that come back with field errors (400) or a conflict (409) are answers to show, not failures.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if ((status === 400 || status === 409) && event.detail.target.closest("[data-registrar]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  var focusedCardId = null, loadingMore = null;
  document.addEventListener("htmx:beforeRequest", function (event) {
    var target = event.detail.target;
    if (target && target.classList && target.classList.contains("more")) {
      loadingMore = { list: target.parentElement, count: cardsOf(target.parentElement).length };
    }
    if (target && target.id === "panel") {
      var p = panel();
      if (p && p.hidden) {
        boardUrl = location.href;
        var card = event.detail.elt.closest && event.detail.elt.closest(".app-card");
        openerId = card ? card.id : null;
      }
    }
    if (target && target.id === "board") {
      var active = document.activeElement;
      var holder = active && active.closest && active.closest(".app-card");
      focusedCardId = holder ? holder.id : null;
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target) return;
    if (target.id === "board") {
      // The moved card keeps its id in its new column: focus follows it there.
      var card = initRoving(focusedCardId);
      if (focusedCardId && card) card.focus();
      focusedCardId = null;
      updateSelected();
    } else if (target.id === "panel") {
      initTabs(target);
      var fromTab = event.detail.elt && event.detail.elt.getAttribute && event.detail.elt.getAttribute("role") === "tab";
      if (fromTab) {
        panel().hidden = false;
        var selected = target.querySelector('[role="tab"][aria-selected="true"]');
        if (selected) selected.focus();
      } else if (!target.contains(document.activeElement) || document.activeElement === document.body) {
        focusPanel();
      }
    }
  });

  // "Load more": focus goes to the first card it brought (its link is gone).
  document.addEventListener("htmx:afterSettle", function () {
    if (!loadingMore) return;
    var first = cardsOf(loadingMore.list)[loadingMore.count];
    loadingMore = null;
    if (first) setCurrent(first, true);
  });

  // --- Scroll edges: shade the side of the board that hides columns --------------------------------

  function markEdges() {
    var holder = board();
    var strip = holder && holder.querySelector("[data-columns]");
    if (!strip) return;
    var hiddenRight = strip.scrollWidth - strip.clientWidth - strip.scrollLeft;
    holder.toggleAttribute("data-more-left", strip.scrollLeft > 1);
    holder.toggleAttribute("data-more-right", hiddenRight > 1);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var holder = board();
    if (!holder) return;
    holder.addEventListener("scroll", markEdges, true);  // scroll does not bubble: listen in capture
    if (window.ResizeObserver) new ResizeObserver(markEdges).observe(holder);
    else window.addEventListener("resize", markEdges);
    markEdges();
  });
  document.addEventListener("htmx:afterSettle", markEdges);

  // A move made on a card refreshes the panel when it shows that application.
  document.addEventListener("registrar-changed", function (event) {
    var id = event.detail && event.detail.id;
    var body = document.querySelector("#panel [data-application]");
    if (id && body && String(body.dataset.application) === String(id) && window.htmx) {
      window.htmx.ajax("GET", body.dataset.url, { target: "#panel", swap: "innerHTML" });
    }
  });
})();
