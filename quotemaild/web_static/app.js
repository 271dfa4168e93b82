/* quotemaild web app: progressive enhancement only. Every action also works as a plain form post.
 *  - live inbox: new requests arrive through the event stream (/api/v1/events) and are put at the
 *    top without moving the row the seller is on; a banner says how many came in;
 *  - keyboard: j/k next/previous (in the list, and on a request: the next request of the list the
 *    seller came from), Enter or o open, r reply, n note, a assign, u back to the inbox, / search,
 *    ? the list of shortcuts, Esc leaves a text field;
 *  - confirm dialogs for irreversible actions (data-confirm);
 *  - auto-submit of small selects (data-autosubmit);
 *  - quote editor: live totals per VAT rate (data-quote-lines).
 */
"use strict";
(function () {
  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));
  const csrf = document.body.dataset.csrf || "";

  function typing(ev) {
    const t = ev.target;
    return t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
  }

  /* auto-submit selects (language picker, assignee) */
  $$("select[data-autosubmit]").forEach((el) => el.addEventListener("change", () => el.form.requestSubmit()));

  /* confirmations for irreversible actions */
  $$("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (ev) => {
      if (!window.confirm(form.dataset.confirm)) ev.preventDefault();
    });
  });

  /* inbox: cursor, keyboard, live rows */
  const list = $("#requests");
  let current = -1;
  function rows() { return list ? $$("li[data-id]", list) : []; }
  function focusRow(i) {
    const all = rows();
    if (!all.length) return;
    current = Math.max(0, Math.min(all.length - 1, i));
    all.forEach((li, n) => li.classList.toggle("current", n === current));
    const link = $("a", all[current]);
    if (link) link.focus();
  }
  if (list) {
    list.addEventListener("focusin", (ev) => {
      const li = ev.target.closest("li[data-id]");
      if (li) { current = rows().indexOf(li); rows().forEach((r) => r.classList.toggle("current", r === li)); }
    });
  }

  /* The list the seller works from, so "next" on a request follows it (the server's links, by
     request number, are the fallback when the page was opened from elsewhere). */
  const remember = () => {
    try { sessionStorage.setItem("qm-list", JSON.stringify(rows().map((li) => li.dataset.id))); } catch (e) { /* private mode */ }
  };
  if (list) remember();
  const stepLinks = $$("a[data-step]");
  if (stepLinks.length && presenceId()) {
    let ids = [];
    try { ids = JSON.parse(sessionStorage.getItem("qm-list") || "[]"); } catch (e) { ids = []; }
    const at = ids.indexOf(presenceId());
    if (at >= 0) {
      stepLinks.forEach((a) => {
        const other = ids[a.dataset.step === "next" ? at + 1 : at - 1];
        if (other) { a.href = `/requests/${other}`; a.hidden = false; a.removeAttribute("aria-disabled"); }
        else { a.removeAttribute("href"); a.hidden = true; }  // the list's end: nothing to step to
      });
    }
  }
  function presenceId() { const p = $("#presence"); return p ? p.dataset.request : ""; }

  const live = list && list.dataset.live === "1";
  if (live && window.EventSource) {
    const banner = $("#live-note");
    let fresh = 0;
    const source = new EventSource("/api/v1/events");
    const refresh = () => {
      // Fetch the first page as HTML and add the rows we do not have yet at the top;
      // rows already shown stay where they are (the seller may be acting on one).
      fetch(window.location.pathname + window.location.search, { headers: { "X-Partial": "rows" }, credentials: "same-origin" })
        .then((r) => (r.ok ? r.text() : ""))
        .then((html) => {
          if (!html) return;
          const tpl = document.createElement("template");
          tpl.innerHTML = html;
          const have = new Map(rows().map((li) => [li.dataset.id, li]));
          const incoming = $$("li[data-id]", tpl.content);
          // Rows on screen keep their place; their content (status, unread) is brought up to date,
          // except the one the seller is on.
          incoming.forEach((li) => {
            const old = have.get(li.dataset.id);
            if (old && !old.contains(document.activeElement)) { old.className = li.className + (old.classList.contains("current") ? " current" : ""); old.innerHTML = li.innerHTML; }
          });
          const add = incoming.filter((li) => !have.has(li.dataset.id)).reverse();
          const empty = $(".empty", list);
          if (empty && add.length) empty.remove();
          add.forEach((li) => { li.classList.add("fresh"); list.prepend(li); });
          remember();
          if (current >= 0) current += add.length;
          if (add.length && banner) {
            fresh += add.length;
            banner.hidden = false;
            banner.textContent = banner.dataset.template.replace("%n", String(fresh));
          }
        })
        .catch(() => {});
    };
    let timer = null;
    const soon = () => { clearTimeout(timer); timer = setTimeout(refresh, 150); };
    ["request", "message", "status"].forEach((kind) => source.addEventListener(kind, soon));
    // The stream starts at "now": what was processed between this page's render and the stream's
    // (re)connection would never arrive as an event, so every open brings the list up to date.
    source.addEventListener("open", soon);
    source.onmessage = soon;
    window.addEventListener("beforeunload", () => source.close());
  }

  /* request page: tell the server we are here (and typing a reply), show who else is */
  const presence = $("#presence");
  if (presence) {
    let lastKey = 0;
    const reply = $("#reply-body");
    if (reply) reply.addEventListener("input", () => { lastKey = Date.now(); });
    const ping = () => {
      const body = new URLSearchParams({ typing: Date.now() - lastKey < 15000 ? "true" : "false" });
      fetch(`/requests/${presence.dataset.request}/presence`, {
        method: "POST", body, credentials: "same-origin", headers: { "X-CSRF-Token": csrf },
      }).then((r) => (r.ok ? r.json() : null)).then((who) => {
        if (!who) return;
        const text = who.typing.length ? presence.dataset.typing.replace("%s", who.typing.join(", "))
          : who.viewing.length ? presence.dataset.viewing.replace("%s", who.viewing.join(", ")) : "";
        if (presence.textContent !== text) presence.textContent = text;
      }).catch(() => {});
    };
    let typingSent = 0;
    if (reply) reply.addEventListener("input", () => { if (Date.now() - typingSent > 10000) { typingSent = Date.now(); ping(); } });
    setInterval(ping, 15000);
  }

  /* keyboard shortcuts */
  const step = (rel) => { const a = $(`a[rel=${rel}][href]`); if (a) a.click(); };
  const help = $("#shortcuts");
  document.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape" && typing(ev)) { ev.target.blur(); return; }
    if (ev.ctrlKey || ev.metaKey || ev.altKey || typing(ev)) return;
    const open = (sel) => { const el = $(sel); if (el) { ev.preventDefault(); if (el.tagName === "DETAILS") el.open = true; const f = $("textarea, select, input:not([type=hidden])", el) || el; f.focus(); f.scrollIntoView({ block: "center" }); } };
    switch (ev.key) {
      case "j": if (list) { ev.preventDefault(); focusRow(current + 1); } else { step("next"); } break;
      case "k": if (list) { ev.preventDefault(); focusRow(current - 1); } else { step("prev"); } break;
      case "o": case "Enter": if (list && current >= 0) { ev.preventDefault(); $("a", rows()[current]).click(); } break;
      case "r": open("#reply"); break;
      case "n": open("#note"); break;
      case "a": open("#assign"); break;
      case "u": if (!list && $("a[data-back]")) { ev.preventDefault(); $("a[data-back]").click(); } break;
      case "/": { const q = $("#q"); if (q) { ev.preventDefault(); q.focus(); } break; }
      case "?": if (help) { ev.preventDefault(); help.hidden = !help.hidden; } break;
      default: break;
    }
  });

  /* quote editor: live totals per VAT rate */
  const editor = $("[data-quote-lines]");
  if (editor) {
    const fmt = new Intl.NumberFormat(document.documentElement.lang === "en" ? "en-GB" : document.documentElement.lang + "-BE", { style: "currency", currency: editor.dataset.currency || "EUR" });
    const num = (v) => { const n = parseFloat(String(v || "").replace(",", ".")); return Number.isFinite(n) ? n : 0; };
    const recompute = () => {
      const perRate = new Map();
      let net = 0;
      $$("tr[data-line]", editor).forEach((tr) => {
        const q = num($("[name$=quantity]", tr).value), p = num($("[name$=unit_price]", tr).value);
        const d = num(($("[name$=discount]", tr) || {}).value), rate = num($("[name$=vat_rate]", tr).value);
        const line = Math.round(q * p * (1 - d / 100) * 100) / 100;
        const cell = $("[data-line-total]", tr); if (cell) cell.textContent = fmt.format(line);
        net += line;
        perRate.set(rate, (perRate.get(rate) || 0) + line);
      });
      const box = $("[data-totals]");
      if (!box) return;
      let vat = 0;
      const parts = [];
      Array.from(perRate.keys()).sort((a, b) => a - b).forEach((rate) => {
        const base = perRate.get(rate), tax = Math.round(base * rate) / 100;
        vat += tax;
        parts.push(`<tr><th scope="row">${box.dataset.vatLabel.replace("%r", String(rate))}</th><td class="num">${fmt.format(base)}</td><td class="num">${fmt.format(tax)}</td></tr>`);
      });
      $("[data-rates]", box).innerHTML = parts.join("");
      $("[data-net]", box).textContent = fmt.format(net);
      $("[data-vat]", box).textContent = fmt.format(vat);
      $("[data-gross]", box).textContent = fmt.format(net + vat);
    };
    editor.addEventListener("input", recompute);
    const add = $("[data-add-line]");
    if (add) add.addEventListener("click", (ev) => {
      ev.preventDefault();
      const rowsNow = $$("tr[data-line]", editor);
      const clone = rowsNow[rowsNow.length - 1].cloneNode(true);
      const n = rowsNow.length;
      $$("input, select", clone).forEach((el) => {
        el.name = el.name.replace(/lines-\d+-/, `lines-${n}-`);
        el.id = el.id.replace(/lines-\d+-/, `lines-${n}-`);
        if (el.tagName === "INPUT" && !el.dataset.keep) el.value = "";
      });
      $$("label", clone).forEach((l) => { l.htmlFor = l.htmlFor.replace(/lines-\d+-/, `lines-${n}-`); });
      rowsNow[rowsNow.length - 1].after(clone);
      recompute();
    });
    recompute();
  }
})();
