// poke emulator inspector. One SSE feed (/_emulator/ui/feed) keeps the page current; reads
// go to /_emulator/ui/api/*, actions to the documented control routes (/_emulator/*).
// Everything received is shown with textContent, never parsed as HTML.
"use strict";

(() => {
  const UI = "/_emulator/ui";
  const CONTROL = "/_emulator";
  const ROW = 28; // px, .req-row height
  const EVENT_ROW = 22; // px, .ev height
  const OVERSCAN = 12;
  const FIRST_PAGE = 200;
  const OLDER_PAGE = 500;
  const GAP_PAGE = 1000;
  const EVENTS_SHOWN = 1000;

  // ---- small helpers ---------------------------------------------------------------------

  const $ = (selector, root = document) => root.querySelector(selector);
  const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

  /** Builds an element: h("span", {class: "x", data: {seq: 1}, text: "hi"}, child...). */
  function h(tag, attrs = {}, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") el.className = value;
      else if (key === "text") el.textContent = value;
      else if (key === "data") Object.assign(el.dataset, value);
      else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
      else el.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }

  const pad = (n, width = 2) => String(n).padStart(width, "0");

  function fmtTime(secs) {
    const d = new Date(secs * 1000);
    return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
  }

  function fmtDateTime(secs) {
    const d = new Date(secs * 1000);
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
      `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  }

  function fmtDuration(secs) {
    const sign = secs < 0 ? "-" : "";
    let s = Math.round(Math.abs(secs));
    const d = Math.floor(s / 86400); s -= d * 86400;
    const hr = Math.floor(s / 3600); s -= hr * 3600;
    const m = Math.floor(s / 60); s -= m * 60;
    if (d) return `${sign}${d}d ${hr}h`;
    if (hr) return `${sign}${hr}h ${m}m`;
    if (m) return `${sign}${m}m ${s}s`;
    return `${sign}${s}s`;
  }

  function fmtMs(ms) {
    if (ms === null || ms === undefined) return "";
    if (ms < 10) return `${ms.toFixed(1)} ms`;
    if (ms < 1000) return `${Math.round(ms)} ms`;
    return `${(ms / 1000).toFixed(2)} s`;
  }

  function fmtBytes(n) {
    if (n === null || n === undefined) return "";
    if (n < 1024) return `${n} B`;
    if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
    if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
    return `${(n / 1024 ** 3).toFixed(2)} GiB`;
  }

  const fmtCount = (n) => Number(n).toLocaleString("en-US");

  async function getJSON(url) {
    const response = await fetch(url, {headers: {Accept: "application/json"}});
    if (!response.ok) throw new Error(`${response.status} ${url}`);
    return response.json();
  }

  /** Calls a control route; resolves to the parsed answer, rejects with its message. */
  async function control(method, path, body) {
    const init = {method, headers: {Accept: "application/json"}};
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(CONTROL + path, init);
    let answer = null;
    try { answer = await response.json(); } catch (_) { answer = null; }
    if (!response.ok) {
      const message = (answer && (answer.message || answer.error)) || `${response.status}`;
      throw new Error(message);
    }
    return answer;
  }

  const typing = (el) => el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" ||
    el.tagName === "SELECT" || el.isContentEditable);

  // ---- page state ------------------------------------------------------------------------

  const S = {
    view: "requests",
    feed: null,
    feedSession: null,
    everConnected: false,
    clock: {now: Date.now() / 1000, offset_secs: 0, frozen: false},
    clockAt: performance.now(),
    config: {},
    faults: [],
    journal: null,
    // Requests: rows newest first (those matching the filter), keyed by seq.
    rows: [],
    bySeq: new Map(),
    more: false,
    loadingOlder: false,
    maxSeq: 0,
    paused: false,
    held: new Map(),
    selected: null,
    filter: {path: "", status: "", session: ""},
    rendered: new Map(),
    detailTimer: null,
    listGeneration: 0,
    // Sessions.
    sessions: new Map(),
    ended: new Map(),
    selectedSession: null,
    sessionRows: new Map(),
    turns: new Map(),
    files: null,
  };

  const vnow = () => S.clock.frozen
    ? S.clock.now
    : S.clock.now + (performance.now() - S.clockAt) / 1000;

  // ---- the feed --------------------------------------------------------------------------

  function setFeedState(state, text) {
    const el = $("#feed-state");
    const shown = state === "live" && S.paused ? "paused" : state;
    el.dataset.state = shown;
    el.textContent = text || (shown === "paused" ? "live · list paused" : shown);
  }

  function connect() {
    if (S.feed) S.feed.close();
    const query = S.feedSession ? `?session=${encodeURIComponent(S.feedSession)}` : "";
    const feed = new EventSource(`${UI}/feed${query}`);
    S.feed = feed;
    setFeedState("connecting");
    const on = (name, handler) => feed.addEventListener(name, (event) => {
      if (S.feed !== feed) return;
      handler(JSON.parse(event.data));
    });
    on("hello", onHello);
    on("requests", onRequests);
    on("cleared", () => { resetRows(); renderList(); });
    on("resync", () => loadNewest());
    on("journal", (stats) => { S.journal = stats; renderJournal(); });
    on("clock", (clock) => { setClock(clock); });
    on("config", (config) => { S.config = config; renderHealth(); });
    on("faults", (faults) => { S.faults = faults; renderFaults(); });
    on("sessions", onSessions);
    on("files", onFiles);
    on("turn", onTurn);
    feed.onerror = () => {
      if (S.feed === feed) setFeedState("connecting", "reconnecting");
    };
  }

  function setClock(clock) {
    S.clock = clock;
    S.clockAt = performance.now();
    renderClock();
  }

  function onHello(hello) {
    setFeedState("live");
    setClock(hello.clock);
    S.config = hello.config;
    S.faults = hello.faults;
    S.journal = hello.journal;
    S.sessions = new Map(hello.sessions.live.map((s) => [s.id, s]));
    S.ended = new Map(hello.sessions.ended.map((e) => [e.id, e]));
    S.turns.forEach((turn) => turn.block.remove());
    S.turns = new Map();
    renderHealth();
    renderFaults();
    renderJournal();
    renderSessions();
    renderSessionDetail();
    if (S.everConnected) gapFill(); else loadNewest();
    S.everConnected = true;
  }

  // ---- requests ----------------------------------------------------------------------------

  function filterQuery() {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(S.filter)) if (value) params.set(key, value);
    return params;
  }

  /** Mirrors the server's filter, for rows that arrive live. */
  function matchesFilter(row) {
    const f = S.filter;
    if (row.kind === "control") return !f.path && !f.status && !f.session;
    if (f.path && !row.target.toLowerCase().includes(f.path.toLowerCase())) return false;
    if (f.session && !(row.session || "").toLowerCase().includes(f.session.toLowerCase())) return false;
    const status = f.status.trim().toLowerCase();
    if (!status) return true;
    const cut = row.state === "closed" || row.state === "cut";
    if (status === "pending") return row.state === "pending";
    if (status === "closed" || status === "cut") return cut;
    if (status === "fault" || status === "faulted") return row.fault !== null;
    if (status === "error" || status === "failed") return cut || (row.status !== null && row.status >= 400);
    if (/^[1-9]xx$/.test(status)) return row.status !== null && Math.floor(row.status / 100) === Number(status[0]);
    if (/^\d+$/.test(status)) return row.status === Number(status);
    return true;
  }

  function resetRows() {
    S.rows = [];
    S.bySeq = new Map();
    S.held = new Map();
    S.more = false;
    S.rendered.forEach((el) => el.remove());
    S.rendered = new Map();
    renderHeld();
  }

  function setRows(rows, more) {
    resetRows();
    for (const row of rows) {
      S.rows.push(row);
      S.bySeq.set(row.seq, row);
      S.maxSeq = Math.max(S.maxSeq, row.seq);
    }
    S.more = more;
  }

  async function loadNewest() {
    const generation = ++S.listGeneration;
    const params = filterQuery();
    params.set("limit", FIRST_PAGE);
    try {
      const page = await getJSON(`${UI}/api/requests?${params}`);
      if (generation !== S.listGeneration) return;
      setRows(page.entries, page.more);
      S.journal = page.journal;
      renderJournal();
      $("#request-list").scrollTop = 0;
      renderList();
    } catch (err) {
      setFeedState("offline", "offline");
    }
  }

  /** After a reconnect: fetch what arrived meanwhile, or start over if that is a lot. */
  async function gapFill() {
    if (!S.rows.length) return loadNewest();
    const generation = S.listGeneration;
    const params = filterQuery();
    params.set("after", S.maxSeq);
    params.set("limit", GAP_PAGE);
    const page = await getJSON(`${UI}/api/requests?${params}`);
    if (generation !== S.listGeneration) return;
    if (page.more) return loadNewest();
    addRows(page.entries);
  }

  async function loadOlder() {
    if (!S.more || S.loadingOlder || !S.rows.length) return;
    S.loadingOlder = true;
    const generation = S.listGeneration;
    const params = filterQuery();
    params.set("before", S.rows[S.rows.length - 1].seq);
    params.set("limit", OLDER_PAGE);
    try {
      const page = await getJSON(`${UI}/api/requests?${params}`);
      if (generation !== S.listGeneration) return;
      for (const row of page.entries) {
        if (S.bySeq.has(row.seq)) continue;
        S.rows.push(row);
        S.bySeq.set(row.seq, row);
      }
      S.more = page.more;
      renderList();
    } finally {
      S.loadingOlder = false;
    }
  }

  function onRequests(rows) {
    const fresh = [];
    let changedVisible = false;
    for (const row of rows) {
      S.maxSeq = Math.max(S.maxSeq, row.seq);
      if (S.bySeq.has(row.seq)) {
        const index = indexOfSeq(row.seq);
        if (index >= 0) S.rows[index] = row;
        S.bySeq.set(row.seq, row);
        changedVisible = true;
        if (S.selected === row.seq) scheduleDetail();
      } else if (S.held.has(row.seq)) {
        S.held.set(row.seq, row);
      } else if (matchesFilter(row)) {
        if (S.paused) S.held.set(row.seq, row); else fresh.push(row);
      }
    }
    if (fresh.length) addRows(fresh);
    else if (changedVisible) renderList();
    renderHeld();
  }

  /** Where `seq` sits in the rows (newest first), or where it would go. */
  function insertionPoint(seq) {
    let lo = 0;
    let hi = S.rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (S.rows[mid].seq > seq) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  function indexOfSeq(seq) {
    const at = insertionPoint(seq);
    return at < S.rows.length && S.rows[at].seq === seq ? at : -1;
  }

  /** Inserts rows newest first; rows above the viewport keep what is on screen in place. */
  function addRows(rows) {
    const list = $("#request-list");
    const firstVisible = Math.floor(list.scrollTop / ROW);
    let above = 0;
    rows.sort((a, b) => b.seq - a.seq);
    for (const row of rows) {
      if (S.bySeq.has(row.seq)) continue;
      const index = insertionPoint(row.seq);
      S.rows.splice(index, 0, row);
      S.bySeq.set(row.seq, row);
      if (index < firstVisible || (list.scrollTop > 0 && index <= firstVisible)) above++;
    }
    // The list grows before it scrolls, so the new position is never clamped.
    $(".vspace", list).style.height = `${S.rows.length * ROW}px`;
    if (above && list.scrollTop > 0) list.scrollTop += above * ROW;
    renderList();
  }

  function renderHeld() {
    const badge = $("#new-count");
    badge.hidden = !S.paused || S.held.size === 0;
    badge.textContent = `${fmtCount(S.held.size)} new`;
  }

  function setPaused(paused) {
    S.paused = paused;
    const button = $("#pause");
    button.setAttribute("aria-pressed", String(paused));
    button.textContent = paused ? "Resume" : "Pause";
    if (!paused && S.held.size) {
      const held = Array.from(S.held.values()).filter(matchesFilter);
      S.held = new Map();
      addRows(held);
    }
    renderHeld();
    setFeedState($("#feed-state").dataset.state === "connecting" ? "connecting" : "live");
  }

  function statusOf(row) {
    if (row.status !== null && row.status !== undefined) {
      return {text: String(row.status), cls: `s-${String(row.status)[0]}`};
    }
    if (row.state === "closed") return {text: "closed", cls: "s-closed"};
    return {text: "…", cls: "s-pending"};
  }

  function fillRow(el, row) {
    el.textContent = "";
    el.className = row.kind === "control" ? "req-row control" : "req-row";
    el.dataset.seq = row.seq;
    el.dataset.kind = row.kind;
    el.id = `req-${row.seq}`;
    if (row.kind === "control") {
      el.append(
        h("span", {class: "c-time", text: fmtTime(row.at)}),
        h("span", {class: "c-text", text: `⚙ ${row.text}`, title: row.text}),
      );
      return;
    }
    const status = statusOf(row);
    el.dataset.status = row.status !== null ? row.status : row.state;
    el.dataset.state = row.state;
    el.dataset.path = row.target;
    el.dataset.attempt = row.attempt;
    if (row.fault !== null) el.dataset.fault = row.fault; else delete el.dataset.fault;
    const tags = [];
    if (row.fault !== null) tags.push(h("span", {class: "tag fault", text: `fault #${row.fault}`}));
    if (row.attempt > 1) tags.push(h("span", {class: "tag retry", text: `retry ${row.attempt - 1}`}));
    if (row.state === "streaming") tags.push(h("span", {class: "tag", text: "streaming"}));
    if (row.state === "cut") tags.push(h("span", {class: "tag fault", text: "cut"}));
    el.append(
      h("span", {class: "c-time", text: fmtTime(row.at)}),
      h("span", {class: "c-method", text: row.method}),
      h("span", {class: "c-path", title: row.target}, h("span", {class: "p", text: row.target}), tags),
      h("span", {class: "c-status"}, h("span", {class: `badge ${status.cls}`, text: status.text})),
      h("span", {class: "c-latency", text: fmtMs(row.duration_ms ?? row.latency_ms)}),
      h("span", {class: "c-attempt", text: String(row.attempt)}),
    );
  }

  function renderList() {
    const list = $("#request-list");
    const space = $(".vspace", list);
    space.style.height = `${S.rows.length * ROW}px`;
    $("#request-empty").hidden = S.rows.length > 0;
    const top = list.scrollTop;
    const height = list.clientHeight || 600;
    const first = Math.max(0, Math.floor(top / ROW) - OVERSCAN);
    const last = Math.min(S.rows.length, Math.ceil((top + height) / ROW) + OVERSCAN);
    const keep = new Set();
    for (let i = first; i < last; i++) {
      const row = S.rows[i];
      keep.add(row.seq);
      let el = S.rendered.get(row.seq);
      if (!el) {
        el = h("div", {role: "option"});
        el.addEventListener("click", () => select(Number(el.dataset.seq)));
        S.rendered.set(row.seq, el);
        space.append(el);
      }
      if (el._row !== row) {
        fillRow(el, row);
        el._row = row;
      }
      el.style.top = `${i * ROW}px`;
      el.setAttribute("aria-selected", String(S.selected === row.seq));
    }
    for (const [seq, el] of S.rendered) {
      if (!keep.has(seq)) {
        el.remove();
        S.rendered.delete(seq);
      }
    }
    if (S.selected !== null && S.rendered.has(S.selected)) {
      list.setAttribute("aria-activedescendant", `req-${S.selected}`);
    } else {
      list.removeAttribute("aria-activedescendant");
    }
    if (S.more && last >= S.rows.length - OVERSCAN) loadOlder();
  }

  function select(seq, scroll = false) {
    S.selected = seq;
    if (scroll) {
      const index = indexOfSeq(seq);
      const list = $("#request-list");
      if (index >= 0) {
        const top = index * ROW;
        if (top < list.scrollTop) list.scrollTop = top;
        else if (top + ROW > list.scrollTop + list.clientHeight) list.scrollTop = top + ROW - list.clientHeight;
      }
    }
    renderList();
    loadDetail(seq, true);
  }

  function moveSelection(delta) {
    if (!S.rows.length) return;
    let index = S.selected === null ? -1 : indexOfSeq(S.selected);
    if (index < 0) index = delta > 0 ? -1 : S.rows.length;
    index = Math.max(0, Math.min(S.rows.length - 1, index + delta));
    select(S.rows[index].seq, true);
  }

  function scheduleDetail() {
    if (S.detailTimer) return;
    S.detailTimer = setTimeout(() => {
      S.detailTimer = null;
      if (S.selected !== null) loadDetail(S.selected, false);
    }, 250);
  }

  async function loadDetail(seq, fresh) {
    const pane = $("#request-detail");
    let detail;
    try {
      detail = await getJSON(`${UI}/api/requests/${seq}`);
    } catch (_) {
      if (S.selected === seq) {
        pane.replaceChildren(h("p", {class: "empty", text: "This entry is no longer in the journal."}));
      }
      return;
    }
    if (S.selected !== seq) return;
    const scroll = fresh ? 0 : pane.scrollTop;
    pane.replaceChildren(...renderDetail(detail));
    pane.scrollTop = scroll;
  }

  function facts(pairs, fixed = false) {
    const dl = h("dl", {class: fixed ? "facts fixed" : "facts"});
    for (const [name, value] of pairs) {
      if (value === null || value === undefined || value === "") continue;
      const dd = h("dd", {}, value);
      if (fixed) dd.title = dd.textContent;
      dl.append(h("dt", {text: name}), dd);
    }
    return dl;
  }

  function headerTable(headers) {
    if (!headers.length) return h("p", {class: "muted small", text: "none"});
    return h("table", {class: "table headers"},
      h("tbody", {}, headers.map(([name, value]) =>
        h("tr", {}, h("th", {scope: "row", class: "mono", text: name}), h("td", {class: "mono", text: value})))));
  }

  function bodyView(body) {
    switch (body.kind) {
      case "empty": return h("p", {class: "muted small", text: "empty"});
      case "binary":
        return h("p", {class: "small", text: `binary, ${fmtBytes(body.size)}${body.content_type ? `, ${body.content_type}` : ""}`});
      case "omitted":
        return h("p", {class: "small", text: `${fmtBytes(body.size)}${body.content_type ? `, ${body.content_type}` : ""}: ${body.note}`});
      default: {
        const note = body.truncated ? ` (first bytes of ${fmtBytes(body.size)})` : ` (${fmtBytes(body.size)})`;
        return h("div", {},
          h("p", {class: "muted small", text: `${body.kind === "json" ? "JSON" : body.kind}${note}`}),
          h("pre", {class: "code", text: body.text}));
      }
    }
  }

  function bodyEnd(end) {
    if (end === "complete") return "body sent in full";
    if (end === "streaming") return "body still streaming";
    return end;
  }

  function renderDetail(d) {
    if (d.kind === "control") {
      return [h("h2", {text: "Control action"}), facts([["At", fmtTime(d.at)], ["Action", d.text]])];
    }
    const status = statusOf(d);
    const response = d.response;
    const sessionLink = d.session
      ? h("a", {href: "#sessions", class: "mono", text: d.session, onclick: (e) => {
        e.preventDefault();
        openSession(d.session);
      }})
      : null;
    const out = [
      h("h2", {}, h("span", {class: "mono", text: `${d.method} ${d.target}`})),
      facts([
        ["Status", h("span", {}, h("span", {class: `badge ${status.cls}`, text: status.text}),
          ` ${response ? bodyEnd(response.end) : d.state === "closed" ? "no answer: the connection closed" : "waiting for the answer"}`)],
        ["Received", `${fmtTime(d.at)} (virtual ${fmtDateTime(d.virtual_at)})`],
        ["Latency", response ? fmtMs(response.latency_ms) : ""],
        ["Duration", response && response.duration_ms !== null ? fmtMs(response.duration_ms) : ""],
        ["Attempt", String(d.attempt)],
        ["Idempotency key", d.idempotency_key ? h("code", {text: d.idempotency_key}) : ""],
        ["Client", d.user_agent || ""],
        ["Session", sessionLink],
        ["Request id", d.request_id ? h("code", {text: d.request_id}) : ""],
        ["Fault", d.fault ? `#${d.fault.id}` : ""],
      ]),
    ];
    if (d.fault) out.push(h("h3", {text: "Fault that hit it"}), h("pre", {class: "code", text: JSON.stringify(d.fault, null, 2)}));
    out.push(h("h3", {text: "Request headers"}), headerTable(d.request.headers));
    out.push(h("h3", {text: "Request body"}), bodyView(d.request.body));
    if (response) {
      out.push(h("h3", {text: "Response headers"}), headerTable(response.headers));
      out.push(h("h3", {text: "Response body"}), bodyView(response.body));
    }
    return out;
  }

  // ---- sessions ----------------------------------------------------------------------------

  function onSessions(change) {
    for (const session of change.upsert) S.sessions.set(session.id, session);
    for (const id of change.remove) S.sessions.delete(id);
    for (const ended of change.ended) S.ended.set(ended.id, ended);
    renderSessions();
    const id = S.selectedSession;
    if (id && (change.upsert.some((s) => s.id === id) || change.remove.includes(id) ||
        change.ended.some((e) => e.id === id))) {
      renderSessionDetail();
    }
  }

  const causeText = {
    ttl_expired: "TTL expired",
    idle_timeout: "idle timeout",
    deleted: "deleted",
  };

  function sessionMatches(session, needle) {
    if (!needle) return true;
    needle = needle.toLowerCase();
    if (session.id.toLowerCase().includes(needle)) return true;
    return session.metadata ? JSON.stringify(session.metadata).toLowerCase().includes(needle) : false;
  }

  function expiryText(session) {
    const left = session.expires_at - vnow();
    return `expires in ${fmtDuration(Math.max(0, left))}`;
  }

  function fillSessionRow(el, session, ended) {
    el.textContent = "";
    el.dataset.session = session.id;
    const state = ended ? "ended" : session.busy ? "busy" : "ready";
    el.dataset.state = state;
    el.classList.toggle("ended", Boolean(ended));
    const meta = session.metadata && Object.keys(session.metadata).length
      ? Object.entries(session.metadata).map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`).join(" · ")
      : "";
    el.append(
      h("span", {class: "id"}, session.id, h("span", {class: "sub", text: meta || (ended ? "" : session.model || "")})),
      h("span", {class: `state state-${state}`, text: ended ? causeText[ended.cause] || ended.cause : state}),
      h("span", {class: "expiry", text: ended ? `ended ${fmtTime(ended.ended_at)}` : expiryText(session)}),
      h("span", {class: "turns", text: ended ? "" : `${session.turns.length} turn${session.turns.length === 1 ? "" : "s"}`}),
    );
  }

  function renderSessions() {
    const list = $("#session-list");
    const needle = $("#filter-sessions").value.trim();
    const live = Array.from(S.sessions.values()).sort((a, b) => b.created_at - a.created_at);
    const gone = Array.from(S.ended.values())
      .filter((e) => !S.sessions.has(e.id))
      .sort((a, b) => b.ended_at - a.ended_at);
    const wanted = [];
    for (const session of live) if (sessionMatches(session, needle)) wanted.push([session.id, session, null]);
    for (const ended of gone) {
      if (!needle || ended.id.toLowerCase().includes(needle.toLowerCase())) wanted.push([ended.id, {id: ended.id}, ended]);
    }
    const keep = new Set();
    let previous = null;
    for (const [id, session, ended] of wanted) {
      keep.add(id);
      let el = S.sessionRows.get(id);
      if (!el) {
        el = h("button", {type: "button", class: "sess-row", role: "option"});
        el.addEventListener("click", () => selectSession(id));
        S.sessionRows.set(id, el);
      }
      const version = ended ? `ended:${ended.cause}` : JSON.stringify(session);
      if (el._version !== version) {
        fillSessionRow(el, session, ended);
        el._version = version;
        el._session = session;
      }
      el.setAttribute("aria-selected", String(S.selectedSession === id));
      el.tabIndex = S.selectedSession === id || (!S.selectedSession && previous === null) ? 0 : -1;
      const expected = previous ? previous.nextSibling : list.firstChild;
      if (expected !== el) list.insertBefore(el, expected);
      previous = el;
    }
    for (const [id, el] of S.sessionRows) {
      if (!keep.has(id)) {
        el.remove();
        S.sessionRows.delete(id);
      }
    }
    $("#session-empty").hidden = wanted.length > 0;
    $("#session-count").textContent = `${fmtCount(S.sessions.size)} live · ${fmtCount(gone.length)} ended`;
  }

  function tickSessionExpiry() {
    for (const el of S.sessionRows.values()) {
      if (el.dataset.state === "ended" || !el._session || el._session.expires_at === undefined) continue;
      const span = $(".expiry", el);
      if (span) span.textContent = expiryText(el._session);
    }
    const expires = $("#sd-expires");
    const session = S.sessions.get(S.selectedSession);
    if (expires && session) expires.textContent = expiresText(session);
  }

  function openSession(id) {
    showView("sessions");
    selectSession(id);
  }

  function selectSession(id) {
    if (S.selectedSession === id) return;
    S.selectedSession = id;
    S.files = null;
    S.turns.forEach((turn) => turn.block.remove());
    S.turns = new Map();
    $("#session-detail").replaceChildren();
    renderSessions();
    renderSessionDetail();
    S.feedSession = id;
    connect();
  }

  function expiresText(session) {
    const by = session.expires_by === "idle" ? "idle timeout" : "TTL";
    return `${fmtDateTime(session.expires_at)} (in ${fmtDuration(Math.max(0, session.expires_at - vnow()))}, by ${by})`;
  }

  /** Builds the detail pane once per session, then fills its parts in place. */
  function renderSessionDetail() {
    const pane = $("#session-detail");
    const id = S.selectedSession;
    if (!id) return;
    if (pane.dataset.session !== id || !$("#sd-facts", pane)) {
      pane.dataset.session = id;
      pane.replaceChildren(
        h("div", {class: "card-head"},
          h("h2", {id: "sd-title", class: "mono", text: id}),
          h("button", {type: "button", class: "btn danger", id: "cancel-turn", onclick: cancelTurn}, "Cancel running turn")),
        h("div", {id: "sd-banner"}),
        h("div", {id: "sd-facts"}),
        h("h3", {text: "Metadata (live)"}),
        h("pre", {class: "code meta", id: "sd-meta", tabindex: "0"}),
        h("h3", {text: "Turns"}),
        h("div", {id: "sd-turns"}),
        h("h3", {text: "Workspace files it can read"}),
        h("div", {id: "sd-files"}, h("p", {class: "muted small", text: "loading…"})),
      );
    }
    const session = S.sessions.get(id);
    const ended = S.ended.get(id);
    const banner = $("#sd-banner");
    if (!session) {
      banner.replaceChildren(h("p", {class: "banner bad", id: "sd-ended", text: ended
        ? `Ended: ${causeText[ended.cause] || ended.cause} at ${fmtDateTime(ended.ended_at)} (virtual)`
        : "This session no longer exists."}));
      $("#cancel-turn").disabled = true;
      for (const turn of S.turns.values()) updateTurnHead(turn, null);
      return;
    }
    banner.replaceChildren();
    $("#cancel-turn").disabled = !session.current_response_id;
    $("#sd-facts").replaceChildren(facts([
      ["Status", h("span", {class: `state state-${session.busy ? "busy" : "ready"}`, id: "sd-status", text: session.status})],
      ["Created", `${fmtDateTime(session.created_at)} (virtual)`],
      ["Last activity", fmtDateTime(session.last_activity)],
      ["TTL", fmtDuration(session.ttl)],
      ["Expires", h("span", {id: "sd-expires", text: expiresText(session)})],
      ["Persistent", session.persistent ? "yes" : "no"],
      ["Model", session.model],
      ["Tools", String(session.tools)],
      ["Running turn", session.current_response_id ? h("code", {text: session.current_response_id}) : "none"],
      ["Queued scripts", String(session.queued_scripts)],
      ["Pending tool calls", String(session.pending_tool_calls)],
    ], true));
    $("#sd-meta").textContent = JSON.stringify(session.metadata, null, 2);
    for (const info of session.turns) updateTurnHead(turnBlock(info.response_id), info);
    if (!session.turns.length && !S.turns.size) {
      $("#sd-turns").replaceChildren(h("p", {class: "muted small", id: "sd-no-turns", text: "No turns yet."}));
    }
  }

  function turnBlock(rid) {
    let turn = S.turns.get(rid);
    if (turn) return turn;
    const none = $("#sd-no-turns");
    if (none) none.remove();
    const events = h("div", {class: "events", role: "log", "aria-label": `Events of ${rid}`, tabindex: "0"});
    const head = h("div", {class: "turn-head"});
    const block = h("section", {class: "turn", data: {rid}}, head, events);
    turn = {rid, block, head, events, lastSeq: -1, shown: 0, status: "in_progress", count: 0};
    S.turns.set(rid, turn);
    const container = $("#sd-turns");
    if (container) container.append(block);
    updateTurnHead(turn, null);
    return turn;
  }

  function updateTurnHead(turn, info) {
    if (info) {
      turn.status = info.status;
      turn.count = info.events;
    }
    turn.block.dataset.status = turn.status;
    turn.head.replaceChildren(
      h("span", {class: "rid", text: turn.rid}),
      h("span", {class: `state state-${turn.status === "in_progress" ? "busy" : turn.status === "completed" ? "ready" : "ended"}`, text: turn.status.replace("_", " ")}),
      h("span", {class: "muted small", text: `${fmtCount(Math.max(turn.count, turn.lastSeq + 1))} events`}),
    );
  }

  function eventRow(ev) {
    const data = JSON.stringify(ev.data);
    const terminal = ev.event === "message.completed" || ev.event === "message.error" || ev.event === "message.cancelled";
    return h("div", {class: terminal ? "ev terminal" : "ev", data: {seq: ev.seq, event: ev.event}, title: data},
      h("span", {class: "seq", text: String(ev.seq)}),
      h("span", {class: "name", text: ev.event}),
      h("span", {class: "data", text: data}));
  }

  function onTurn(batch) {
    if (batch.session !== S.selectedSession) return;
    const turn = turnBlock(batch.response_id);
    const box = turn.events;
    const atBottom = box.scrollTop + box.clientHeight >= box.scrollHeight - EVENT_ROW;
    if (batch.skipped > 0) {
      box.append(h("div", {class: "ev skipped", text: `… ${fmtCount(batch.skipped)} events not shown (the turn ran ahead of the page)`}));
    }
    for (const ev of batch.events) {
      if (ev.seq <= turn.lastSeq) continue;
      box.append(eventRow(ev));
      turn.lastSeq = ev.seq;
      turn.shown++;
    }
    let removed = 0;
    while (box.childElementCount > EVENTS_SHOWN) {
      box.firstElementChild.remove();
      removed++;
    }
    if (atBottom) box.scrollTop = box.scrollHeight;
    else if (removed) box.scrollTop = Math.max(0, box.scrollTop - removed * EVENT_ROW);
    turn.status = batch.status;
    updateTurnHead(turn, null);
  }

  function onFiles(view) {
    if (view.session !== S.selectedSession) return;
    S.files = view;
    const box = $("#sd-files");
    if (!box) return;
    if (!view.files.length) {
      box.replaceChildren(h("p", {class: "muted small", text: "No files."}));
      return;
    }
    const rows = view.files.map((f) => h("tr", {data: {path: f.path}},
      h("td", {class: "mono"}, h("a", {
        href: `${CONTROL}/workspace/${f.path.split("/").map(encodeURIComponent).join("/")}`,
        download: f.path.split("/").pop(),
        text: f.path,
      })),
      h("td", {class: "num", text: fmtBytes(f.size)}),
      h("td", {class: "num", text: fmtDateTime(f.modified)})));
    const table = h("table", {class: "table"},
      h("thead", {}, h("tr", {}, h("th", {scope: "col", text: "Path"}), h("th", {scope: "col", text: "Size"}), h("th", {scope: "col", text: "Modified (virtual)"}))),
      h("tbody", {}, rows));
    const more = view.total > view.files.length
      ? h("p", {class: "muted small", text: `and ${fmtCount(view.total - view.files.length)} more`})
      : null;
    box.replaceChildren(table, more || "");
  }

  async function cancelTurn() {
    const id = S.selectedSession;
    const button = $("#cancel-turn");
    button.disabled = true;
    try {
      await control("POST", `/sessions/${encodeURIComponent(id)}/cancel`);
    } catch (err) {
      $("#sd-banner").replaceChildren(h("p", {class: "banner bad", text: `Cancel failed: ${err.message}`}));
    }
  }

  // ---- faults, clock, health, journal --------------------------------------------------------

  function faultEffect(f) {
    const skip = new Set(["id", "method", "path", "times", "headers", "body"]);
    const parts = [];
    for (const [key, value] of Object.entries(f)) {
      if (skip.has(key) || value === null || value === false) continue;
      parts.push(value === true ? key : `${key} ${value}`);
    }
    if (f.headers && f.headers.length) parts.push(`headers ${f.headers.map(([n]) => n).join(", ")}`);
    if (f.body !== null && f.body !== undefined) parts.push(`body ${JSON.stringify(f.body).slice(0, 40)}`);
    return parts.join(", ") || "no effect";
  }

  function renderFaults() {
    const body = $("#fault-table tbody");
    body.replaceChildren(...S.faults.map((f) => h("tr", {data: {fault: f.id}},
      h("td", {class: "num", text: `#${f.id}`}),
      h("td", {class: "mono", text: `${f.method || "any"} ${f.path}`}),
      h("td", {text: faultEffect(f)}),
      h("td", {class: "num", text: String(f.times)}),
      h("td", {}, h("button", {type: "button", class: "btn small", "aria-label": `Remove fault ${f.id}`, onclick: () => removeFault(f.id)}, "Remove")))));
    $("#faults-empty").hidden = S.faults.length > 0;
    $("#fault-table").hidden = S.faults.length === 0;
  }

  async function removeFault(id) {
    try {
      await control("DELETE", `/faults/${id}`);
    } catch (err) {
      $("#fault-error").textContent = err.message;
    }
  }

  const presets = {
    503: {path: "/api/v1/inbound/api-message", method: "POST", status: 503, body: '{"error":"Service Unavailable","message":"injected"}'},
    429: {path: "/api/v1/inbound/api-message", method: "POST", status: 429, headers: "Retry-After: 1", body: '{"error":"Too Many Requests","message":"injected"}'},
    reset: {path: "*", reset: true},
    delay: {path: "*", delay_ms: 2000},
    drop: {path: "/v1/sessions/*/messages", method: "POST", drop_after_events: 5},
  };

  function fillFaultForm(preset) {
    const form = $("#fault-form");
    // A field named "reset" (the fault knob) hides form.reset.
    HTMLFormElement.prototype.reset.call(form);
    const streamKnobs = ["drop_after_events", "stall_after_events", "duplicate_ids", "slice_bytes",
      "line_ending", "drop_mid_event", "id_too_old"];
    $("#stream-knobs").open = Object.keys(preset).some((name) => streamKnobs.includes(name));
    for (const [name, value] of Object.entries(preset)) {
      const field = form.elements[name];
      if (!field) continue;
      if (field.type === "checkbox") field.checked = Boolean(value); else field.value = String(value);
    }
  }

  function readFaultForm() {
    const form = $("#fault-form");
    const el = form.elements;
    const fault = {path: el.path.value.trim()};
    if (el.method.value) fault.method = el.method.value;
    const int = (name) => {
      const raw = el[name].value.trim();
      if (raw === "") return;
      const n = Number(raw);
      if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number`);
      fault[name] = n;
    };
    ["times", "status", "delay_ms", "stall_ms", "drop_after_bytes", "drop_after_events",
      "stall_after_events", "duplicate_ids", "slice_bytes"].forEach(int);
    for (const name of ["reset", "end_204", "drop_mid_event", "id_too_old"]) if (el[name].checked) fault[name] = true;
    if (el.line_ending.value) fault.line_ending = el.line_ending.value;
    if (el.body.value !== "") fault.body = el.body.value;
    const headers = el.headers.value.split("\n").map((line) => line.trim()).filter(Boolean);
    if (headers.length) {
      fault.headers = headers.map((line) => {
        const at = line.indexOf(":");
        if (at <= 0) throw new Error(`header line needs "Name: value": ${line}`);
        return [line.slice(0, at).trim(), line.slice(at + 1).trim()];
      });
    }
    return fault;
  }

  async function addFault(event) {
    event.preventDefault();
    const error = $("#fault-error");
    error.textContent = "";
    try {
      const {id} = await control("POST", "/faults", readFaultForm());
      error.textContent = "";
      $("#add-fault").dataset.lastId = id;
    } catch (err) {
      error.textContent = err.message;
    }
  }

  function renderClock() {
    const now = vnow();
    $("#virtual-now").textContent = fmtDateTime(now).slice(11);
    $("#virtual-now").setAttribute("datetime", new Date(now * 1000).toISOString());
    $("#clock-now").textContent = fmtDateTime(now);
    const offset = S.clock.offset_secs;
    $("#clock-offset").textContent = (S.clock.frozen ? "frozen · " : "") +
      (Math.abs(offset) < 0.5 ? "in step with real time" : `${fmtDuration(offset)} ahead of real time`);
    const freeze = $("#freeze");
    freeze.setAttribute("aria-pressed", String(S.clock.frozen));
    freeze.textContent = S.clock.frozen ? "Unfreeze" : "Freeze";
  }

  function renderHealth() {
    $("#degraded").checked = Boolean(S.config.degraded);
  }

  function renderJournal() {
    const j = S.journal;
    if (!j) return;
    $("#journal-chip").textContent = `${fmtCount(j.len)} kept · ${fmtCount(j.dropped)} dropped`;
    $("#journal-stats").textContent =
      `${fmtCount(j.len)} of at most ${fmtCount(j.capacity)} entries kept; ${fmtCount(j.dropped)} dropped since the last clear; ${fmtCount(j.total)} recorded in all.`;
    const capacity = $("#capacity");
    if (document.activeElement !== capacity) capacity.value = j.capacity;
  }

  async function advance(secs) {
    try {
      setClock(await control("POST", "/clock/advance", {secs}));
    } catch (err) {
      $("#clock-offset").textContent = err.message;
    }
  }

  // ---- views and keys ----------------------------------------------------------------------

  function showView(view) {
    S.view = view;
    for (const tab of $$(".tabs [role=tab]")) {
      const on = tab.dataset.view === view;
      tab.setAttribute("aria-selected", String(on));
      tab.tabIndex = on ? 0 : -1;
    }
    for (const section of $$(".view")) section.hidden = section.id !== `view-${view}`;
    if (location.hash !== `#${view}`) history.replaceState(null, "", `#${view}`);
    if (view === "requests") renderList();
  }

  function bind() {
    for (const tab of $$(".tabs [role=tab]")) tab.addEventListener("click", () => showView(tab.dataset.view));
    $(".tabs").addEventListener("keydown", (e) => {
      if (e.key !== "ArrowRight" && e.key !== "ArrowLeft") return;
      const tabs = $$(".tabs [role=tab]");
      const at = tabs.findIndex((t) => t.dataset.view === S.view);
      const next = tabs[(at + (e.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
      showView(next.dataset.view);
      next.focus();
    });

    const list = $("#request-list");
    let frame = 0;
    list.addEventListener("scroll", () => {
      if (frame) return;
      frame = requestAnimationFrame(() => { frame = 0; renderList(); });
    });
    list.addEventListener("keydown", (e) => {
      const step = {ArrowDown: 1, ArrowUp: -1, j: 1, k: -1, PageDown: 10, PageUp: -10}[e.key];
      if (step) { e.preventDefault(); moveSelection(step); return; }
      if (e.key === "Home") { e.preventDefault(); if (S.rows.length) select(S.rows[0].seq, true); }
      if (e.key === "End") { e.preventDefault(); if (S.rows.length) select(S.rows[S.rows.length - 1].seq, true); }
      if (e.key === "Enter" && S.selected !== null) $("#request-detail").focus();
    });
    $("#request-detail").tabIndex = 0;
    window.addEventListener("resize", () => renderList());

    $("#pause").addEventListener("click", () => setPaused(!S.paused));
    let filterTimer = null;
    $("#request-filters").addEventListener("input", () => {
      clearTimeout(filterTimer);
      filterTimer = setTimeout(() => {
        S.filter = {
          path: $("#filter-path").value.trim(),
          status: $("#filter-status").value.trim(),
          session: $("#filter-session").value.trim(),
        };
        loadNewest();
      }, 200);
    });
    $("#request-filters").addEventListener("submit", (e) => e.preventDefault());

    $("#filter-sessions").addEventListener("input", () => renderSessions());
    $("#session-list").addEventListener("keydown", (e) => {
      const step = {ArrowDown: 1, ArrowUp: -1, j: 1, k: -1}[e.key];
      if (!step) return;
      e.preventDefault();
      const rows = $$(".sess-row", $("#session-list"));
      if (!rows.length) return;
      let at = rows.findIndex((r) => r.dataset.session === S.selectedSession);
      at = Math.max(0, Math.min(rows.length - 1, at + step));
      selectSession(rows[at].dataset.session);
      rows[at].focus();
    });

    $("#fault-form").addEventListener("submit", addFault);
    for (const button of $$("[data-preset]")) {
      button.addEventListener("click", () => fillFaultForm(presets[button.dataset.preset]));
    }
    $("#clear-faults").addEventListener("click", () => control("DELETE", "/faults").catch(() => {}));
    for (const button of $$("[data-advance]")) {
      button.addEventListener("click", () => advance(Number(button.dataset.advance)));
    }
    $("#advance-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const secs = Number($("#advance-secs").value);
      if (Number.isFinite(secs) && secs >= 0) advance(secs);
    });
    $("#freeze").addEventListener("click", async () => {
      try { setClock(await control("POST", "/clock/freeze", {frozen: !S.clock.frozen})); } catch (_) { /* shown by the feed */ }
    });
    $("#degraded").addEventListener("change", async (e) => {
      try {
        S.config = await control("POST", "/sessions/config", {degraded: e.target.checked});
      } catch (_) {
        e.target.checked = Boolean(S.config.degraded);
      }
    });
    $("#capacity-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        S.journal = await control("POST", "/journal", {capacity: Number($("#capacity").value)});
        renderJournal();
      } catch (err) {
        $("#journal-stats").textContent = err.message;
      }
    });
    $("#clear-journal").addEventListener("click", () => control("DELETE", "/requests").catch(() => {}));

    document.addEventListener("keydown", (e) => {
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      if (typing(e.target)) {
        if (e.key === "Escape") e.target.blur();
        return;
      }
      const views = {1: "requests", 2: "sessions", 3: "faults"};
      if (views[e.key]) { showView(views[e.key]); return; }
      if (e.key === "/" && S.view === "requests") { e.preventDefault(); $("#filter-path").focus(); }
      if (e.key === "p" && S.view === "requests") setPaused(!S.paused);
    });
  }

  function start() {
    bind();
    const view = location.hash.slice(1);
    showView(["requests", "sessions", "faults"].includes(view) ? view : "requests");
    connect();
    setInterval(() => {
      renderClock();
      tickSessionExpiry();
    }, 1000);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
