// Hài Lòng kiosk: home screen, questionnaire screens, thank-you, idle reset, offline queue.
// Plain JavaScript, no libraries. Every finished answer set is first written to the on-device queue
// (localStorage; in memory, with a warning to the staff, when that is full) with a UUID made here,
// then sent; the server stores each UUID at most once, so resending after a lost answer or a power
// cut never doubles a response.
(function () {
  "use strict";

  var CFG = JSON.parse(document.getElementById("kiosk-config").textContent);
  var KEY_CRED = "hailong.device";
  var KEY_QUEUE = "hailong.queue.v1";
  var KEY_REJECTED = "hailong.rejected.v1";
  var app = document.getElementById("app");
  var overlay = document.getElementById("idle");

  var lang = "vi";
  var session = null;      // the citizen's answers in progress
  var online = navigator.onLine !== false;
  var flushing = false, retryAt = 0, backoffMs = 5000;
  var idleTimer = null, promptTimer = null, promptTick = null, thanksTimer = null;

  // ---- small helpers ------------------------------------------------------------------------
  function t(key, params) {
    var s = (CFG.strings[lang] || CFG.strings.vi)[key] || CFG.strings.vi[key] || key;
    Object.keys(params || {}).forEach(function (k) { s = s.split("%(" + k + ")s").join(String(params[k])); });
    return s;
  }
  function tr(pair) { return pair ? (pair[lang] || pair.vi || "") : ""; }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "class") node.className = attrs[k];
      else if (k.slice(0, 2) === "on") node.addEventListener(k.slice(2), attrs[k]);
      else if (attrs[k] !== null && attrs[k] !== undefined && attrs[k] !== false) node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }
  function uuid4() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16); crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  // false when the device refused the write (its storage is full or disabled)
  function store(key, value) {
    try { localStorage.setItem(key, JSON.stringify(value)); return true; } catch (e) { return false; }
  }
  function load(key, fallback) {
    try { var v = JSON.parse(localStorage.getItem(key)); return v === null ? fallback : v; } catch (e) { return fallback; }
  }

  // ---- talking to the server ------------------------------------------------------------------
  function post(url, body, timeoutMs) {
    var headers = {"Content-Type": "application/json", "X-Kiosk": "1"};
    var cred = null;
    try { cred = localStorage.getItem(KEY_CRED); } catch (e) { cred = null; }
    if (cred) headers["X-Device-Credential"] = cred;
    var ctl = window.AbortController ? new AbortController() : null;
    var timer = ctl ? setTimeout(function () { ctl.abort(); }, timeoutMs || 8000) : null;
    return fetch(url, {method: "POST", headers: headers, body: JSON.stringify(body || {}), cache: "no-store",
                       credentials: "same-origin", signal: ctl ? ctl.signal : undefined})
      .finally(function () { if (timer) clearTimeout(timer); });
  }

  // ---- the offline queue ----------------------------------------------------------------------
  // Answers the device's storage would not take (it is full) wait here, in memory, and are sent
  // first; the kiosk tells the staff, because these would not survive the tablet being switched off.
  var unsaved = [];
  function saved() { return load(KEY_QUEUE, []); }
  function queue() { return unsaved.concat(saved()); }   // the ones at risk go first
  function enqueue(payload) {
    var q = saved(); q.push(payload);
    if (!store(KEY_QUEUE, q)) unsaved.push(payload);
    updateStatus();
  }
  function dequeue(id) {
    function other(p) { return p.uuid !== id; }
    var q = saved().filter(other);
    unsaved = unsaved.filter(other);
    if (unsaved.length && store(KEY_QUEUE, q.concat(unsaved))) unsaved = [];   // room again: keep them safe
    else store(KEY_QUEUE, q);
    updateStatus();
  }
  function reject(payload, status, body) {
    var r = load(KEY_REJECTED, []);
    r.push({payload: payload, status: status, body: String(body).slice(0, 2000), at: new Date().toISOString()});
    store(KEY_REJECTED, r.slice(-50));  // kept for a technician; never blocks the queue
  }
  function setOnline(value) { online = value; updateStatus(); }

  async function flush() {
    if (flushing || Date.now() < retryAt) return;
    flushing = true;
    try {
      for (var guard = 0; guard < 1000; guard++) {
        var q = queue();
        if (!q.length) break;
        var item = q[0], res;
        try {
          res = await post(CFG.urls.submit, item, 10000);
        } catch (e) {
          setOnline(false);
          retryAt = Date.now() + backoffMs; backoffMs = Math.min(backoffMs * 2, 60000);
          break;
        }
        setOnline(true);
        if (res.status === 200 || res.status === 201 || res.status === 409) {
          dequeue(item.uuid); backoffMs = 5000; continue;   // stored now, stored before, or answered elsewhere
        }
        if (res.status === 429) {
          retryAt = Date.now() + 1000 * (parseInt(res.headers.get("Retry-After"), 10) || 5); break;
        }
        if (res.status === 401) { retryAt = Date.now() + 60000; break; }   // revoked: keep the answers
        if (res.status >= 400 && res.status < 500) {
          reject(item, res.status, await res.text()); dequeue(item.uuid); continue;
        }
        retryAt = Date.now() + backoffMs; backoffMs = Math.min(backoffMs * 2, 60000);
        break;
      }
    } finally {
      flushing = false;
      updateStatus();
    }
  }

  function heartbeat() {
    post(CFG.urls.heartbeat, {queued: queue().length, unsaved: unsaved.length}, 5000)
      .then(function (r) { setOnline(true); return r; }, function () { setOnline(false); })
      .then(function () { retryAt = 0; flush(); });
  }

  function updateStatus() {
    var n = queue().length;
    document.querySelectorAll("[data-queue]").forEach(function (node) {
      node.hidden = n === 0;
      node.textContent = t("queued", {n: n});
    });
    document.querySelectorAll("[data-offline]").forEach(function (node) { node.hidden = online; });
    document.querySelectorAll("[data-storage-full]").forEach(function (node) {
      node.hidden = unsaved.length === 0;
      node.textContent = t("storage_full", {n: unsaved.length});
    });
    document.body.setAttribute("data-queued", String(n));
    document.body.classList.toggle("is-offline", !online);
  }

  // ---- which questions are asked ------------------------------------------------------------
  function shown(q, answers) {
    if (!q.show_if) return true;
    var v = answers[q.show_if.item], allowed = q.show_if["in"] || [];
    if (Array.isArray(v)) return v.some(function (x) { return allowed.indexOf(x) >= 0; });
    return allowed.indexOf(v) >= 0;
  }
  function empty(v) { return v === undefined || v === null || v === "" || (Array.isArray(v) && !v.length); }
  // Answers of visible questions only (hiding cascades), as the server computes them.
  function visibleAnswers(qn, answers) {
    var kept = {};
    qn.sections.forEach(function (s) {
      s.questions.forEach(function (q) {
        if (shown(q, kept) && !empty(answers[q.code])) kept[q.code] = answers[q.code];
      });
    });
    return kept;
  }
  function visibleSections(qn, answers) {
    var kept = visibleAnswers(qn, answers);
    return qn.sections.map(function (s) {
      return {section: s, questions: s.questions.filter(function (q) { return shown(q, kept); })};
    }).filter(function (v) { return v.questions.length; });
  }
  function choicesOf(qn, q) {
    if (q.type === "scale") return (qn.scales[q.scale] || {}).codes || [];
    return q.options || [];
  }
  var FACE_LEVELS = {very_unhappy: 0, unhappy: 1, neutral: 2, happy: 3, very_happy: 4};
  function faceLevel(codes, c) {
    if (c.face in FACE_LEVELS) return FACE_LEVELS[c.face];
    var sorted = codes.map(function (x) { return x.code; }).sort(function (a, b) { return a - b; });
    return Math.round(sorted.indexOf(c.code) * 4 / Math.max(1, sorted.length - 1));
  }
  function faceSvg(level) {
    return document.getElementById("face-" + level).content.firstElementChild.cloneNode(true);
  }

  // ---- text size and calling staff (on every screen) -------------------------------------------
  // The size chosen lasts for this citizen's session: home() (the reset for the next one) sets it back.
  var SIZES = ["", "text-large", "text-larger"], sizeIndex = 0;
  function sizeLabel() { return t("text_size", {size: t("size_" + sizeIndex)}); }
  function setSize(i) {
    sizeIndex = i;
    SIZES.forEach(function (c) { if (c) document.documentElement.classList.remove(c); });
    if (SIZES[i]) document.documentElement.classList.add(SIZES[i]);
    document.querySelectorAll("[data-text-size]").forEach(function (b) {
      b.textContent = sizeLabel(); b.setAttribute("data-size", String(i));
    });
  }
  function callStaff(ev) {
    var button = ev.currentTarget, note = document.getElementById("call-note");
    button.disabled = true;
    post(CFG.urls.call, {}, 5000)
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); note.textContent = t("call_sent"); })
      .catch(function () { note.textContent = t("call_failed"); })
      .then(function () { note.hidden = false; setTimeout(function () { button.disabled = false; }, 5000); });
  }
  function tools() {
    return el("div", {class: "tools"}, [
      el("button", {type: "button", class: "tool", id: "text-size", "data-text-size": "", "data-size": String(sizeIndex),
                    text: sizeLabel(), onclick: function () { setSize((sizeIndex + 1) % SIZES.length); }}),
      el("button", {type: "button", class: "tool call", id: "call-staff", text: t("call_staff"), onclick: callStaff}),
      el("p", {class: "call-note", id: "call-note", role: "status", hidden: ""}),
    ]);
  }

  // ---- screens ------------------------------------------------------------------------------
  function clearTimers() {
    [idleTimer, promptTimer, thanksTimer].forEach(function (x) { if (x) clearTimeout(x); });
    if (promptTick) clearInterval(promptTick);
    idleTimer = promptTimer = thanksTimer = promptTick = null;
    overlay.hidden = true;
  }

  // A new screen starts at its top with its heading focused; the same screen drawn again after a tap
  // (keep = the control tapped) stays where it was scrolled to, with that control focused.
  function show(node, keep) {
    var y = window.scrollY;
    app.innerHTML = "";
    app.appendChild(node);
    var h = keep ? node.querySelector(keep) : node.querySelector("h1, h2");
    if (h && !keep) h.setAttribute("tabindex", "-1");
    if (h) h.focus({preventScroll: true});
    window.scrollTo(0, keep ? y : 0);
    updateStatus();
  }

  function home() {
    clearTimers();
    session = null;
    lang = "vi";
    setSize(0);   // the next citizen starts with the usual text size
    document.documentElement.lang = lang;
    var langs = el("div", {class: "langs", role: "group", "aria-label": t("language")},
      [["vi", "Tiếng Việt"], ["en", "English"]].map(function (pair) {
        return el("button", {type: "button", class: "lang" + (pair[0] === lang ? " active" : ""),
          lang: pair[0], "aria-pressed": String(pair[0] === lang),
          onclick: function () { lang = pair[0]; document.documentElement.lang = lang; renderHome(); }},
          [document.createTextNode(pair[1])]);
      }));
    function renderHome() {
      var node = el("section", {class: "screen home"}, [
        el("div", {class: "home-top"}, [el("p", {class: "centre", text: tr(CFG.centre)}), langs, tools()]),
        el("div", {class: "home-main"}, [
          el("h1", {text: t("welcome")}),
          // No duration here: a counter's hand-off may bring a longer form than the walk-up one. The
          // first screen says how long the form actually started takes (its parts and minutes).
          el("p", {class: "lead", text: t("anonymous")}),
          el("button", {type: "button", class: "start", id: "start", text: t("start"), onclick: start}),
          CFG.walkup ? null : el("p", {class: "error-text", text: t("no_questionnaire")}),
          el("p", {class: "status queue", "data-queue": "", hidden: ""}),
          el("p", {class: "status offline", "data-offline": "", hidden: "", text: t("offline")}),
          el("p", {class: "status offline", "data-storage-full": "", role: "alert", hidden: ""}),
        ]),
      ]);
      langs.querySelectorAll("button").forEach(function (b) {
        var on = b.getAttribute("lang") === lang;
        b.classList.toggle("active", on); b.setAttribute("aria-pressed", String(on));
      });
      show(node);
    }
    renderHome();
  }

  function start(ev) {
    var button = ev.currentTarget;
    button.disabled = true;
    button.textContent = t("starting");
    if (document.documentElement.requestFullscreen && !document.fullscreenElement) {
      document.documentElement.requestFullscreen().catch(function () {});
    }
    post(CFG.urls.start, {}, 3000)
      .then(function (r) { setOnline(true); return r.ok ? r.json() : {mode: "walkup"}; })
      .catch(function () { setOnline(false); return {mode: "walkup"}; })
      .then(function (data) {
        if (data.mode === "kiosk" && data.questionnaire) begin(data.questionnaire, data.handoff_id);
        else if (CFG.walkup) begin(CFG.walkup, null);
        else home();
      });
  }

  function begin(qn, handoffId) {
    session = {qn: qn, handoff: handoffId, answers: {}, other: {}, step: 0, uuid: uuid4(),
               started_at: new Date().toISOString()};
    renderStep();
  }

  function renderStep(errors, keep) {
    var qn = session.qn, screens = visibleSections(qn, session.answers);
    if (session.step >= screens.length) { submit(false); return; }
    var cur = screens[session.step], last = session.step === screens.length - 1;
    var allOptional = cur.questions.every(function (q) { return !q.required; });
    var anyAnswered = cur.questions.some(function (q) { return !empty(session.answers[q.code]); });
    var label = last ? t("send") : (allOptional && !anyAnswered ? t("skip") : t("next"));
    var pct = Math.round(100 * session.step / screens.length);
    var body = el("section", {class: "screen question", "data-step": String(session.step + 1)}, [
      el("div", {class: "bar"}, [
        el("div", {class: "progress-wrap"}, [
          el("p", {class: "progress-text", id: "progress-label",
                   text: t("part", {step: session.step + 1, total: screens.length})}),
          el("div", {class: "progress", role: "progressbar", "aria-labelledby": "progress-label",
                     "aria-valuemin": "0", "aria-valuemax": String(screens.length),
                     "aria-valuenow": String(session.step)}, [el("span", {style: "width:" + pct + "%"})]),
        ]),
        tools(),
      ]),
      session.step === 0 ? el("p", {class: "handoff-note", id: "duration",
        text: (session.handoff ? t("handoff") + ". " : "") + t("duration", {parts: qn.parts || screens.length, n: qn.minutes || 1})}) : null,
      cur.section.title ? el("h1", {text: tr(cur.section.title)}) : null,
      cur.section.intro ? el("p", {class: "intro", text: tr(cur.section.intro)}) : null,
    ]);
    cur.questions.forEach(function (q) { body.appendChild(renderQuestion(qn, q, cur, errors || {})); });
    body.appendChild(el("div", {class: "nav"}, [
      el("button", {type: "button", class: "primary", id: "next", text: label, onclick: next}),
      el("button", {type: "button", class: "secondary", id: "back", text: t("back"), onclick: back}),
    ]));
    show(body, keep);
    if (errors && Object.keys(errors).length) {
      var first = body.querySelector(".has-error");
      if (first) first.scrollIntoView({block: "center"});
    }
    armIdle();
  }

  function renderQuestion(qn, q, cur, errors) {
    var box = el("fieldset", {class: "q" + (errors[q.code] ? " has-error" : ""), "data-code": q.code}, [
      el("legend", {class: "q-text", text: tr(q.text)}),
      q.help ? el("p", {class: "q-help", text: tr(q.help)}) : null,
      q.type === "scale" && (qn.scales[q.scale] || {}).faces ? el("p", {class: "q-help", text: t("tap_face")}) : null,
      q.type === "multiple" ? el("p", {class: "q-help", text: t("several")}) : null,
      errors[q.code] ? el("p", {class: "error-text", role: "alert", text: errors[q.code]}) : null,
    ]);
    var value = session.answers[q.code];
    if (q.type === "scale" || q.type === "single" || q.type === "multiple") {
      var scale = q.type === "scale" ? (qn.scales[q.scale] || {}) : {};
      var codes = choicesOf(qn, q), faces = !!scale.faces, multi = q.type === "multiple";
      var group = el("div", {class: "choices" + (faces ? " faces" : q.type === "scale" ? " scale" : ""),
                             role: multi ? "group" : "radiogroup"});
      codes.forEach(function (c) {
        var on = multi ? (value || []).indexOf(c.code) >= 0 : value === c.code;
        var b = el("button", {type: "button", class: "choice" + (faces ? " face" : "") + (on ? " on" : ""),
          role: multi ? "checkbox" : "radio", "aria-checked": String(on), "data-code": String(c.code),
          onclick: function () { choose(q, c, cur, faces); }},
          [faces ? faceSvg(faceLevel(codes, c)) : el("span", {class: "tick", "aria-hidden": "true"}),
           el("span", {class: "choice-label", text: tr(c.label)})]);
        group.appendChild(b);
      });
      box.appendChild(group);
      if (q.other_text !== undefined && q.other_text !== null) {
        var chosen = multi ? (value || []).indexOf(q.other_text) >= 0 : value === q.other_text;
        if (chosen) box.appendChild(textInput(q, "other", t("other"), q.max_length || 500));
      }
    } else if (q.type === "text") {
      box.appendChild(textInput(q, "text", tr(q.text), q.max_length || 1000));
    } else if (q.type === "number") {
      var input = el("input", {type: "number", inputmode: "numeric", class: "number", "aria-label": tr(q.text),
        min: q.min, max: q.max, value: value === undefined ? "" : value, placeholder: t("number_hint")});
      input.addEventListener("input", function () {
        var n = parseInt(input.value, 10);
        session.answers[q.code] = isNaN(n) ? null : n;
      });
      box.appendChild(input);
    } else if (q.type === "phone") {
      // The call-back number: a phone keypad; the server checks and normalises it (a tablet keeps no contacts).
      var tel = el("input", {type: "tel", inputmode: "tel", autocomplete: "off", maxlength: "20", class: "number phone",
        "aria-label": tr(q.text), value: value === undefined || value === null ? "" : value});
      tel.addEventListener("input", function () { session.answers[q.code] = tel.value; });
      box.appendChild(tel);
    }
    return box;
  }

  function textInput(q, kind, label, max) {
    var area = el("textarea", {rows: kind === "text" ? 4 : 2, maxlength: String(max), "aria-label": label,
                               placeholder: kind === "other" ? label : null});
    area.value = (kind === "text" ? session.answers[q.code] : session.other[q.code]) || "";
    area.addEventListener("input", function () {
      if (kind === "text") session.answers[q.code] = area.value; else session.other[q.code] = area.value;
    });
    return area;
  }

  function choose(q, c, cur, faces) {
    if (q.type === "multiple") {
      var v = (session.answers[q.code] || []).slice(), i = v.indexOf(c.code);
      var exclusive = (q.options || []).filter(function (o) { return o.exclusive; }).map(function (o) { return o.code; });
      if (i >= 0) v.splice(i, 1);
      else if (exclusive.indexOf(c.code) >= 0) v = [c.code];
      else { v = v.filter(function (x) { return exclusive.indexOf(x) < 0; }); v.push(c.code); }
      session.answers[q.code] = v;
    } else {
      session.answers[q.code] = c.code;
    }
    var tapped = 'fieldset[data-code="' + q.code + '"] button[data-code="' + c.code + '"]';
    // One tap is enough on a face screen with a single question: move on by itself.
    if (faces && cur.questions.length === 1) {
      renderStep(null, tapped);
      document.querySelectorAll("button.choice").forEach(function (b) { b.disabled = true; });
      setTimeout(function () { if (session) next(); }, 350);
      return;
    }
    renderStep(null, tapped);
  }

  function next() {
    if (!session) return;
    var screens = visibleSections(session.qn, session.answers), cur = screens[session.step], errors = {};
    if (!cur) { submit(false); return; }
    cur.questions.forEach(function (q) {
      var v = session.answers[q.code];
      if (q.required && (empty(v) || (typeof v === "string" && !v.trim()))) errors[q.code] = t("required");
    });
    if (Object.keys(errors).length) { renderStep(errors); return; }
    session.step += 1;
    renderStep();
  }

  // The citizen left before any answer was stored: the counter's hand-off waits for the next start
  // again. Should this fail (no network), the server still has it as this kiosk's, and this kiosk's
  // next start takes it up again.
  function giveBack(handoffId) {
    if (handoffId) post(CFG.urls.give_back, {handoff_id: handoffId}, 5000).catch(function () {});
  }

  function back() {
    if (!session) return;
    if (session.step === 0) { giveBack(session.handoff); home(); return; }
    session.step -= 1;
    renderStep();
  }

  function payload(partial) {
    var answers = visibleAnswers(session.qn, session.answers), other = {};
    Object.keys(session.other).forEach(function (code) {
      if (code in answers && session.other[code] && session.other[code].trim()) other[code] = session.other[code];
    });
    Object.keys(answers).forEach(function (code) {
      if (typeof answers[code] === "string" && !answers[code].trim()) delete answers[code];
    });
    return {uuid: session.uuid, version_id: session.qn.version_id, content_hash: session.qn.content_hash,
            handoff_id: session.handoff, answers: answers, other: other, language: lang, partial: partial,
            started_at: session.started_at, client_submitted_at: new Date().toISOString()};
  }

  function submit(partial) {
    enqueue(payload(partial));   // on the device first: nothing is lost if the network or power fails now
    session = null;
    if (!partial) thanks();
    flush();
  }

  function thanks() {
    clearTimers();
    var left = CFG.thanks_seconds;
    var note = el("p", {class: "muted", id: "returning", text: t("returning", {n: left})});
    show(el("section", {class: "screen thanks"}, [
      el("p", {class: "big-check", "aria-hidden": "true", text: "✓"}),
      el("h1", {text: t("thanks")}),
      el("p", {class: "lead", text: t("thanks_sub")}),
      note,
      el("button", {type: "button", class: "secondary", id: "home", text: t("home"), onclick: home}),
    ]));
    var tick = setInterval(function () {
      left -= 1;
      if (left > 0) note.textContent = t("returning", {n: left});
    }, 1000);
    thanksTimer = setTimeout(function () { clearInterval(tick); home(); }, CFG.thanks_seconds * 1000);
    promptTick = tick;
  }

  // ---- idle: "still there?" then reset --------------------------------------------------------
  function armIdle() {
    if (idleTimer) clearTimeout(idleTimer);
    if (!session || !overlay.hidden) return;
    idleTimer = setTimeout(prompt, CFG.idle_seconds * 1000);
  }

  // What happens to the answers so far when nobody touches the screen: said in the prompt.
  function idleKey() {
    var any = Object.keys(visibleAnswers(session.qn, session.answers)).length > 0;
    if (!any) return "still_there_none";
    return session.qn.partial_on_timeout === "keep" ? "still_there_keep" : "still_there_sub";
  }

  function prompt() {
    if (!session) return;
    var key = idleKey();
    var left = CFG.prompt_seconds;
    var text = document.getElementById("idle-text");
    document.getElementById("idle-title").textContent = t("still_there");
    document.getElementById("idle-continue").textContent = t("continue");
    text.textContent = t(key, {n: left});
    overlay.setAttribute("data-idle", key);
    overlay.hidden = false;
    document.getElementById("idle-continue").focus();
    promptTick = setInterval(function () {
      left -= 1;
      if (left >= 0) text.textContent = t(key, {n: left});
    }, 1000);
    promptTimer = setTimeout(timeout, CFG.prompt_seconds * 1000);
  }

  function timeout() {
    if (session && idleKey() === "still_there_keep") submit(true);   // stored, flagged partial: answered
    else if (session) giveBack(session.handoff);
    home();
  }

  // Any touch on the prompt means "still here".
  overlay.addEventListener("click", function () {
    clearTimeout(promptTimer); clearInterval(promptTick); promptTimer = promptTick = null;
    overlay.hidden = true;
    armIdle();
  });
  ["pointerdown", "keydown", "input", "touchstart"].forEach(function (name) {
    document.addEventListener(name, function () { if (session && overlay.hidden) armIdle(); }, true);
  });

  // ---- the kiosk never leaves itself ----------------------------------------------------------
  document.addEventListener("contextmenu", function (e) { e.preventDefault(); });
  document.addEventListener("click", function (e) {
    var a = e.target.closest && e.target.closest("a[href]");
    if (a) e.preventDefault();
  }, true);

  window.addEventListener("online", function () { setOnline(true); retryAt = 0; flush(); });
  window.addEventListener("offline", function () { setOnline(false); });
  if ("serviceWorker" in navigator && window.isSecureContext) {
    navigator.serviceWorker.register(CFG.urls.sw, {scope: CFG.urls.shell}).catch(function () {});
  }

  window.hailongKiosk = {flush: flush, queue: queue, home: home};  // for technicians and tests
  home();
  setInterval(flush, 15000);
  setInterval(heartbeat, CFG.heartbeat_seconds * 1000);
  heartbeat();
})();
