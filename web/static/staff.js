// Keyboard shortcuts and the console's small behaviours. Elements name their shortcut with
// data-key="alt+k" (focus it, or click it when it is a button); a form with
// data-submit-key="ctrl+enter" is submitted by that chord.
(function () {
  "use strict";
  function chord(e) {
    var k = [];
    if (e.ctrlKey || e.metaKey) k.push("ctrl");
    if (e.altKey) k.push("alt");
    if (e.shiftKey) k.push("shift");
    k.push(e.key === "Enter" ? "enter" : (e.code && e.code.indexOf("Key") === 0 ? e.code.slice(3).toLowerCase() : e.key.toLowerCase()));
    return k.join("+");
  }
  document.addEventListener("keydown", function (e) {
    var c = chord(e);
    var el = document.querySelector('[data-key="' + c + '"]');
    if (el) {
      e.preventDefault();
      if (el.tagName === "BUTTON" || el.tagName === "A") el.click(); else el.focus();
      return;
    }
    // The form being filled in first (a queue has one per row), else the page's first.
    var a = document.activeElement;
    var f = (a && a.closest && a.closest('form[data-submit-key="' + c + '"]')) ||
      document.querySelector('form[data-submit-key="' + c + '"]');
    if (f) { e.preventDefault(); f.requestSubmit(); }
  });

  // A button with data-print prints the page (the printed sheets).
  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest("[data-print]");
    if (b) { e.preventDefault(); window.print(); }
  });

  // A form with data-confirm asks before it is sent (no inline handlers: the pages' CSP allows
  // none).
  document.addEventListener("submit", function (e) {
    var m = e.target.dataset && e.target.dataset.confirm;
    if (m && !window.confirm(m)) e.preventDefault();
  });

  // The console form shows the part of the chosen way of handling the call.
  function syncMode(form) {
    var m = form.querySelector('input[name=mode]:checked');
    form.dataset.mode = m ? m.value : "register";
  }
  document.querySelectorAll("#register-form").forEach(function (form) {
    syncMode(form);
    form.addEventListener("change", function () { syncMode(form); });
  });

  // "Answer with this article" fills the answer from the knowledge base.
  document.addEventListener("click", function (e) {
    var b = e.target.closest(".use-article");
    if (!b) return;
    var form = document.getElementById("register-form");
    if (!form) return;
    form.querySelector("#article").value = b.dataset.code;
    form.querySelector("#answer").value = b.dataset.body;
    var label = form.querySelector("#article-label");
    label.textContent = label.dataset.prefix + b.dataset.title;
    var r = form.querySelector('input[name=mode][value=answer]');
    r.checked = true;
    syncMode(form);
    var t = form.querySelector('select[name=type]');
    if (t && !t.value) t.value = "consultation";
  });

  // A classifier suggestion next to manual dispatch chooses that department.
  document.addEventListener("click", function (e) {
    var b = e.target.closest(".suggest-dept");
    if (!b) return;
    var form = document.getElementById("register-form");
    if (!form) return;
    var sel = form.querySelector("select[name=department]");
    if (!sel || !sel.querySelector('option[value="' + CSS.escape(b.dataset.dept) + '"]')) return;
    sel.value = b.dataset.dept;
    form.querySelector("input[name=mode][value=dispatch]").checked = true;
    syncMode(form);
  });
})();

// Screen pop: when the calls area streams a "screenpop" event for this agent, the caller's
// number is put into the console form. The event's data is read as JSON and only ever set as
// text or a field's value: a caller id comes from outside and must not become markup.
(function () {
  "use strict";
  var box = document.getElementById("screenpop");
  var form = document.getElementById("register-form");
  if (!box || !form || !window.EventSource) return;
  var es = new EventSource(box.dataset.events);
  es.onerror = function () { if (es.readyState === EventSource.CLOSED) es.close(); };
  es.addEventListener("screenpop", function (e) {
    var d;
    try { d = JSON.parse(e.data); } catch (_) { return; }
    var phone = d.caller_phone || d.caller || d.phone || "";
    var callID = d.call_id || d.id || "";
    var f = form.querySelector("input[name=caller_phone]");
    if (f && phone) { f.value = phone; f.dispatchEvent(new Event("input", { bubbles: true })); }
    var c = form.querySelector("input[name=call_id]");
    if (c && callID) c.value = String(callID);
    box.hidden = false;
    var text = document.getElementById("screenpop-text");
    text.textContent = text.dataset.caller + " " + phone + (callID ? " (" + text.dataset.call + " " + callID + ")" : "");
  });
})();

// The console's category picker: typing in #category-filter keeps the categories whose names,
// code or pinyin (whole, or its initials: "zy" finds 噪音) hold every word typed, and chooses the
// first of them; Enter goes on to the list.
(function () {
  "use strict";
  var f = document.getElementById("category-filter");
  var sel = document.getElementById("category");
  if (!f || !sel) return;
  f.addEventListener("input", function () {
    var words = f.value.toLowerCase().split(/\s+/).filter(Boolean);
    var first = null;
    Array.prototype.forEach.call(sel.options, function (o) {
      if (!o.value) return;
      var keys = o.getAttribute("data-keys") || "";
      var ok = words.every(function (w) { return keys.indexOf(w) >= 0; });
      o.hidden = !ok;
      if (ok && !first && words.length) first = o;
    });
    if (first && sel.value !== first.value) {
      sel.value = first.value;
      sel.dispatchEvent(new Event("input", { bubbles: true }));
      sel.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });
  f.addEventListener("keydown", function (e) {
    if (e.key === "Enter") { e.preventDefault(); sel.focus(); }
  });
})();
