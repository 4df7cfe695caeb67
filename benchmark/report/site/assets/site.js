// longbench web leaderboard: sortable tables, the model filter and origin toggles, the compare page.
// Plain JavaScript, no library, no network: the pages work from file:// and on any static host.
"use strict";

(function () {
  // Python's f"{x:.{digits}f}" / f"{x:+.{digits}f}" (longbench's fmt and fmt_measured), so that a number computed
  // here reads as leaderboard.md would print it. toFixed rounds an exact tie away from zero; Python rounds it to
  // even. A tie is exactly half a unit in the last place: x an odd multiple of 2^-(digits+1).
  function fmt(x, digits, signed) {
    if (x === null || x === undefined || Number.isNaN(x)) return "–";
    if (!Number.isFinite(x)) return "✗";
    let text = Math.abs(x).toFixed(digits);
    const scaled = Math.abs(x) * Math.pow(2, digits + 1);
    if (Number.isInteger(scaled) && scaled % 2 === 1) {
      let units = Math.floor(Math.abs(x) * Math.pow(10, digits));
      if (units % 2 === 1) units += 1;
      const plain = String(units).padStart(digits + 1, "0");
      text = digits ? plain.slice(0, -digits) + "." + plain.slice(-digits) : plain;
    }
    const negative = x < 0 || Object.is(x, -0);
    return (negative ? "-" : signed ? "+" : "") + text;
  }

  function announcer() {
    let region = document.getElementById("sort-status");
    if (!region) {
      region = document.createElement("p");
      region.id = "sort-status";
      region.className = "sr-only";
      region.setAttribute("aria-live", "polite");
      document.body.appendChild(region);
    }
    return region;
  }

  function sortKey(row, index, type) {
    const cell = row.cells[index];
    const raw = cell ? (cell.dataset.sort !== undefined ? cell.dataset.sort : cell.textContent.trim()) : "";
    if (raw === "") return null;
    return type === "number" ? parseFloat(raw) : raw.toLowerCase();
  }

  // A click sorts by the column, best first (highest, or lowest where lower is better; A to Z for text); another
  // click reverses. Empty cells stay at the bottom either way; equal values keep their previous order.
  function sortBy(table, index) {
    const headers = Array.from(table.tHead.rows[0].cells);
    const th = headers[index];
    const type = th.dataset.type;
    const current = th.getAttribute("aria-sort");
    let direction;
    if (current === "ascending") direction = "descending";
    else if (current === "descending") direction = "ascending";
    else direction = type === "number" && th.dataset.better !== "low" ? "descending" : "ascending";
    const sign = direction === "ascending" ? 1 : -1;
    const body = table.tBodies[0];
    const rows = Array.from(body.rows).map((row, position) => ({ row, position, key: sortKey(row, index, type) }));
    rows.sort((a, b) => {
      if (a.key === null || b.key === null) {
        return a.key === b.key ? a.position - b.position : a.key === null ? 1 : -1;
      }
      const order = type === "number" ? a.key - b.key : a.key.localeCompare(b.key);
      return order ? sign * order : a.position - b.position;
    });
    rows.forEach((item) => body.appendChild(item.row));
    headers.forEach((h) => { if (h !== th) h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", direction);
    announcer().textContent = `Sorted by ${th.textContent.trim()}, ${direction}.`;
  }

  function setupSorting() {
    document.querySelectorAll("table.sortable").forEach((table) => {
      Array.from(table.tHead.rows[0].cells).forEach((th, index) => {
        const button = th.querySelector("button");
        if (button) button.addEventListener("click", () => sortBy(table, index));
      });
    });
  }

  function setupFilter() {
    const input = document.getElementById("filter");
    if (!input) return;
    const toggles = Array.from(document.querySelectorAll(".origin-toggle"));
    const rows = Array.from(document.querySelectorAll("table.board tbody tr"));
    const status = document.getElementById("shown");
    function apply() {
      const wanted = input.value.trim().toLowerCase();
      const origins = new Set(toggles.filter((t) => t.checked).map((t) => t.value));
      let visible = 0;
      rows.forEach((row) => {
        const show = origins.has(row.dataset.origin) && (!wanted || row.dataset.search.includes(wanted));
        row.hidden = !show;
        if (show) visible += 1;
      });
      if (status) status.textContent = `${visible} of ${rows.length} rows shown.`;
    }
    input.addEventListener("input", apply);
    toggles.forEach((t) => t.addEventListener("change", apply));
    apply();
  }

  function element(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  function link(href, text) {
    const a = element("a", text);
    a.href = href;
    return a;
  }

  // Why two results of a task cannot be compared, or null.
  function incomparable(a, b) {
    if (a.version !== b.version) return `task versions ${a.version} and ${b.version}`;
    if (a.subset || b.subset) return "a subset";
    return null;
  }

  function valueCell(result, name) {
    const td = element("td", undefined, "num");
    const value = result && result.metrics[name];
    if (!value) {
      td.textContent = "–";
      return td;
    }
    td.appendChild(link(result.file, value.t));
    if (value.ci_t) td.appendChild(element("span", " " + value.ci_t, "ci"));
    return td;
  }

  function setupCompare() {
    const script = document.getElementById("compare-data");
    if (!script) return;
    const data = JSON.parse(script.textContent);
    const pick = { a: document.getElementById("model-a"), b: document.getElementById("model-b") };
    const wanted = new URLSearchParams(location.hash.slice(1));
    ["a", "b"].forEach((side, i) => {
      const name = wanted.get(side) || data.defaults[i] || data.defaults[0];
      if (name && data.models[name]) pick[side].value = name;
    });
    const body = document.querySelector("#compare-table tbody");
    const summary = document.getElementById("compare-summary");

    function render() {
      const a = data.models[pick.a.value], b = data.models[pick.b.value];
      document.getElementById("head-a").textContent = `A: ${pick.a.value}`;
      document.getElementById("head-b").textContent = `B: ${pick.b.value}`;
      body.replaceChildren();
      if (!a || !b) return;
      let compared = 0, apart = 0, better = 0;
      data.tasks.forEach((task) => {
        const ra = a.results[task], rb = b.results[task];
        if (!ra && !rb) return;
        data.metrics.forEach(([name, label]) => {
          const va = ra && ra.metrics[name], vb = rb && rb.metrics[name];
          if (!va && !vb) return;
          const tr = element("tr");
          const th = element("th");
          th.scope = "row";
          th.appendChild(link((ra || rb).task_page, task));
          tr.append(th, element("td", label), valueCell(ra, name), valueCell(rb, name));
          const diff = element("td", "–", "num diff");
          const note = element("td", "–", "intervals");
          const reason = ra && rb ? incomparable(ra, rb) : null;
          if (reason) {
            note.textContent = `not compared: ${reason}`;
          } else if (va && vb && va.v !== null && vb.v !== null) {
            compared += 1;
            const delta = vb.v - va.v;
            diff.textContent = fmt(delta, 1, true);
            if (delta > 0) better += 1;
            if (va.ci && vb.ci) {
              const separate = va.ci[1] < vb.ci[0] || vb.ci[1] < va.ci[0];
              note.textContent = separate ? "◆ do not overlap" : "overlap";
              if (separate) {
                apart += 1;
                tr.classList.add("sig");
              }
            } else {
              note.textContent = "no interval";
            }
          }
          tr.append(diff, note);
          body.appendChild(tr);
        });
      });
      summary.textContent = `${compared} numbers compared: B is higher on ${better}; the intervals do not overlap ` +
        `on ${apart}.`;
    }
    pick.a.addEventListener("change", render);
    pick.b.addEventListener("change", render);
    render();
  }

  window.longbench = { fmt, sortBy };
  document.addEventListener("DOMContentLoaded", () => {
    setupSorting();
    setupFilter();
    setupCompare();
  });
})();
