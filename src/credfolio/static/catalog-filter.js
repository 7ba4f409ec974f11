/* credfolio catalog filters: progressive enhancement of the catalog home's plain list.
 *
 * Without JavaScript the page is a complete list of cards and the filter form stays hidden. With it,
 * the form appears; facets combine (any of the ticked values within a facet, all facets together),
 * the address bar's query string mirrors the filters so a filtered view can be shared, and a live
 * region announces the number of results. Vanilla JS, no dependencies, no network requests.
 *
 * Query parameters: subject, grade, stack, framework (repeatable), hours_min, hours_max, cost=free|paid.
 */
(function () {
  "use strict";

  var MULTI = { subject: "subjects", grade: "grades", stack: "stacks", framework: "frameworks" };
  // A credential for every subject matches any subject filter: a maths teacher looking for
  // maths credentials also wants the ones written for all subjects.
  var ALL_SUBJECTS = "All subjects";

  function parseList(value) {
    try {
      var list = JSON.parse(value || "[]");
      return Array.isArray(list) ? list.map(String) : [];
    } catch (error) {
      return [];
    }
  }

  function number(value) {
    if (value === null || value === undefined || String(value).trim() === "") return null;
    var parsed = Number(value);
    return isFinite(parsed) ? parsed : null;
  }

  function readFilters(form) {
    var filters = { hours_min: null, hours_max: null, cost: "" };
    Object.keys(MULTI).forEach(function (name) { filters[name] = []; });
    Array.prototype.forEach.call(form.elements, function (control) {
      if (!control.name) return;
      if (MULTI[control.name]) {
        if (control.checked) filters[control.name].push(control.value);
      } else if (control.name === "cost") {
        if (control.checked) filters.cost = control.value;
      } else if (control.name === "hours_min" || control.name === "hours_max") {
        filters[control.name] = number(control.value);
      }
    });
    return filters;
  }

  function matches(card, filters) {
    for (var name in MULTI) {
      var wanted = filters[name];
      if (!wanted.length) continue;
      var values = parseList(card.getAttribute("data-" + MULTI[name]));
      if (name === "subject" && values.indexOf(ALL_SUBJECTS) !== -1) continue;
      var any = wanted.some(function (value) { return values.indexOf(value) !== -1; });
      if (!any) return false;
    }
    var hours = number(card.getAttribute("data-hours"));
    if (filters.hours_min !== null && (hours === null || hours < filters.hours_min)) return false;
    if (filters.hours_max !== null && (hours === null || hours > filters.hours_max)) return false;
    if (filters.cost && card.getAttribute("data-cost") !== filters.cost) return false;
    return true;
  }

  function toQuery(filters) {
    var params = new URLSearchParams();
    Object.keys(MULTI).forEach(function (name) {
      filters[name].forEach(function (value) { params.append(name, value); });
    });
    if (filters.hours_min !== null) params.set("hours_min", String(filters.hours_min));
    if (filters.hours_max !== null) params.set("hours_max", String(filters.hours_max));
    if (filters.cost) params.set("cost", filters.cost);
    return params.toString();
  }

  function restore(form, search) {
    var params = new URLSearchParams(search);
    Array.prototype.forEach.call(form.elements, function (control) {
      if (!control.name) return;
      if (MULTI[control.name]) {
        control.checked = params.getAll(control.name).indexOf(control.value) !== -1;
      } else if (control.name === "cost") {
        control.checked = (params.get("cost") || "") === control.value;
      } else if (control.name === "hours_min" || control.name === "hours_max") {
        var value = number(params.get(control.name));
        control.value = value === null ? "" : String(value);
      }
    });
  }

  function init() {
    var form = document.getElementById("cf-filters");
    var list = document.getElementById("cf-cards");
    if (!form || !list || form.getAttribute("data-cf-ready") === "true") return;
    form.setAttribute("data-cf-ready", "true");
    var cards = Array.prototype.slice.call(list.querySelectorAll(".cf-card"));
    var count = document.getElementById("cf-count");
    var empty = document.getElementById("cf-empty");

    function apply(updateAddress) {
      var filters = readFilters(form);
      var shown = 0;
      cards.forEach(function (card) {
        var visible = matches(card, filters);
        card.hidden = !visible;
        if (visible) shown += 1;
      });
      if (count) {
        var noun = cards.length === 1 ? "micro-credential" : "micro-credentials";
        count.textContent = shown === cards.length
          ? "Showing all " + cards.length + " " + noun
          : "Showing " + shown + " of " + cards.length + " " + noun;
      }
      if (empty) empty.hidden = shown !== 0;
      if (updateAddress && window.history && window.history.replaceState) {
        var query = toQuery(filters);
        var url = window.location.pathname + (query ? "?" + query : "") + window.location.hash;
        window.history.replaceState(window.history.state, "", url);
      }
    }

    restore(form, window.location.search);
    form.hidden = false;
    form.addEventListener("change", function () { apply(true); });
    form.addEventListener("input", function (event) {
      if (event.target && event.target.type === "number") apply(true);
    });
    form.addEventListener("submit", function (event) { event.preventDefault(); apply(true); });
    form.addEventListener("reset", function () {
      // The reset event fires before the controls are cleared.
      window.setTimeout(function () { apply(true); }, 0);
    });
    apply(false);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
  // Material's optional instant navigation swaps pages without a reload; re-run on each page.
  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(init);
  }
})();
