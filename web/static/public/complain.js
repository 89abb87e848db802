// The complaint form's category questions: when the citizen changes the category, its
// questions (GET /complain/fields) take the place of the last one's and the address is marked
// required or not. Without JavaScript the "show this category's questions" button asks the
// server for the same form with them.
(function () {
  var form = document.getElementById("complain-form");
  var category = document.getElementById("category");
  var next = document.getElementById("category-next");
  if (!form || !category || !window.fetch) {
    return;
  }
  // Gone rather than hidden: pressing Enter in a field must submit the complaint, not this.
  if (next) {
    next.remove();
  }
  var address = document.getElementById("address");
  var addressMark = document.getElementById("address-required");
  var asked = 0;

  function show(html) {
    var current = document.getElementById("category-fields");
    var t = document.createElement("template");
    t.innerHTML = html.trim();
    var fresh = t.content.querySelector("#category-fields");
    if (!current || !fresh) {
      return;
    }
    current.replaceWith(fresh);
    var needed = fresh.dataset.locationRequired === "true";
    address.required = needed;
    addressMark.hidden = !needed;
  }

  category.addEventListener("change", function () {
    var n = ++asked;
    fetch("/complain/fields?category=" + encodeURIComponent(category.value), { credentials: "same-origin" })
      .then(function (resp) {
        if (!resp.ok) {
          throw new Error(resp.status);
        }
        return resp.text();
      })
      .then(function (html) {
        if (n === asked) {
          show(html);
        }
      })
      .catch(function () {
        // The server checks the answers anyway and shows the questions with what is missing.
      });
  });
})();
