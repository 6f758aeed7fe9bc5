/* esgscreen pages: autocomplete for the search box, sortable tables, the print button.
   Everything works without this file; it only makes the pages quicker to use.
   Text from the server is always put in with textContent, never as HTML. */
(function () {
  "use strict";

  var RATING_WORDS = { red: "Red", orange: "Orange", yellow: "Yellow", green: "Green" };

  /* autocomplete (ARIA combobox with a listbox) ------------------------------------ */

  function setupAutocomplete(input) {
    var url = input.getAttribute("data-suggest-url");
    var list = document.getElementById(input.id + "-suggestions");
    var status = document.getElementById(input.id + "-status");
    if (!url || !list) { return; }
    var form = input.form;
    var items = [];
    var active = -1;
    var timer = null;
    var sequence = 0;

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Watchlist entities");

    function close() {
      list.hidden = true;
      list.textContent = "";
      items = [];
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function highlight(index) {
      var options = list.querySelectorAll("[role=option]");
      active = index;
      for (var i = 0; i < options.length; i++) {
        options[i].setAttribute("aria-selected", i === index ? "true" : "false");
      }
      if (index >= 0 && options[index]) {
        input.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function choose(index) {
      var item = items[index];
      if (!item) { return; }
      input.value = item.name;
      close();
      if (form) {
        if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
      }
    }

    function render(found) {
      list.textContent = "";
      items = found;
      active = -1;
      if (!found.length) {
        close();
        if (status) { status.textContent = "No watchlist entity starts with this text."; }
        return;
      }
      found.forEach(function (item, index) {
        var option = document.createElement("li");
        option.id = input.id + "-option-" + index;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        var text = document.createElement("span");
        var name = document.createElement("span");
        name.className = "suggestion-name";
        name.textContent = item.name;
        var meta = document.createElement("span");
        meta.className = "suggestion-meta";
        var parts = [item.kind];
        if (item.country) { parts.push(item.country); }
        if (item.aliases && item.aliases.length) { parts.push("also " + item.aliases.slice(0, 2).join(", ")); }
        meta.textContent = parts.join(" · ");
        text.appendChild(name);
        text.appendChild(meta);
        var badge = document.createElement("span");
        badge.className = "badge rating-" + (RATING_WORDS[item.rating] ? item.rating : "none");
        badge.textContent = RATING_WORDS[item.rating] || "No rating";
        option.appendChild(text);
        option.appendChild(badge);
        option.addEventListener("mousedown", function (event) {
          event.preventDefault();
          choose(index);
        });
        list.appendChild(option);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      if (status) {
        status.textContent = found.length + (found.length === 1 ? " suggestion" : " suggestions") +
          ". Use the up and down arrows to choose.";
      }
    }

    function fetchSuggestions() {
      var text = input.value.trim();
      if (text.length < 2) { close(); return; }
      var mine = ++sequence;
      var address = url + (url.indexOf("?") < 0 ? "?" : "&") + "q=" + encodeURIComponent(text);
      fetch(address, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : []; })
        .then(function (found) {
          if (mine === sequence && document.activeElement === input) { render(found || []); }
        })
        .catch(function () { if (mine === sequence) { close(); } });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(fetchSuggestions, 120);
    });
    input.addEventListener("keydown", function (event) {
      var open = !list.hidden && items.length > 0;
      if (event.key === "ArrowDown") {
        if (!open) { fetchSuggestions(); return; }
        event.preventDefault();
        highlight(active + 1 >= items.length ? 0 : active + 1);
      } else if (event.key === "ArrowUp" && open) {
        event.preventDefault();
        highlight(active <= 0 ? items.length - 1 : active - 1);
      } else if (event.key === "Enter" && open && active >= 0) {
        event.preventDefault();
        choose(active);
      } else if (event.key === "Escape" && open) {
        event.preventDefault();
        close();
      }
    });
    input.addEventListener("blur", function () { window.setTimeout(close, 100); });
  }

  /* sortable tables ---------------------------------------------------------------- */

  function cellValue(row, index, kind) {
    var cell = row.cells[index];
    if (!cell) { return kind === "number" ? Infinity : ""; }
    var raw = cell.hasAttribute("data-value") ? cell.getAttribute("data-value") : cell.textContent;
    if (kind === "number") {
      var number = parseFloat(raw);
      return isNaN(number) ? Infinity : number;
    }
    return raw.trim().toLocaleLowerCase();
  }

  function setupSortable(table) {
    var headers = table.tHead ? table.tHead.rows[0].cells : [];
    var body = table.tBodies[0];
    if (!body) { return; }
    Array.prototype.forEach.call(headers, function (th, index) {
      var kind = th.getAttribute("data-sort");
      if (!kind) { return; }
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort-button";
      while (th.firstChild) { button.appendChild(th.firstChild); }
      th.appendChild(button);
      th.setAttribute("aria-sort", "none");
      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(headers, function (other) {
          if (other.hasAttribute("aria-sort")) { other.setAttribute("aria-sort", "none"); }
        });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var rows = Array.prototype.slice.call(body.rows);
        var keyed = rows.map(function (row, position) {
          return { row: row, key: cellValue(row, index, kind), position: position };
        });
        keyed.sort(function (a, b) {
          var order = 0;
          if (kind === "number") {
            order = a.key === b.key ? 0 : (a.key < b.key ? -1 : 1);
          } else {
            order = a.key.localeCompare(b.key);
          }
          if (!ascending) { order = -order; }
          return order || a.position - b.position;
        });
        var fragment = document.createDocumentFragment();
        keyed.forEach(function (entry) { fragment.appendChild(entry.row); });
        body.appendChild(fragment);
      });
    });
  }

  /* print buttons -------------------------------------------------------------------- */

  function setupPrint(button) {
    button.addEventListener("click", function () { window.print(); });
  }

  /* a diagram wider than a phone scrolls in its frame: start with the entity in view --------- */

  function centreDiagram(figure) {
    var spare = figure.scrollWidth - figure.clientWidth;
    if (spare > 0) { figure.scrollLeft = spare / 2; }
  }

  /* a form answered with errors: focus the first field marked invalid ----------------------- */

  function focusFirstInvalid() {
    var first = document.querySelector("form [aria-invalid='true']");
    if (first && document.activeElement !== first) { first.focus(); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("figure.diagram"), centreDiagram);
    focusFirstInvalid();
    Array.prototype.forEach.call(document.querySelectorAll("input[data-suggest-url]"), setupAutocomplete);
    Array.prototype.forEach.call(document.querySelectorAll("table[data-sortable]"), setupSortable);
    Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), setupPrint);
  });
  // Folded evidence is part of the record: unfold it on paper.
  window.addEventListener("beforeprint", function () {
    Array.prototype.forEach.call(document.querySelectorAll("details"), function (details) {
      details.open = true;
    });
  });
})();
