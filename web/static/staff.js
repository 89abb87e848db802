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
    var f = document.querySelector('form[data-submit-key="' + c + '"]');
    if (f) { e.preventDefault(); f.requestSubmit(); }
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
    form.querySelector("#article-label").textContent = "知识条目：" + b.dataset.title;
    var r = form.querySelector('input[name=mode][value=answer]');
    r.checked = true;
    syncMode(form);
    var t = form.querySelector('select[name=type]');
    if (t && !t.value) t.value = "consultation";
  });
})();
