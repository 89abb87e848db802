// The copy button of the citizen's result page: it copies the ticket number and says so.
// Without JavaScript the button stays hidden and the number is there to write down.
(function () {
  var button = document.getElementById("copy-number");
  var status = document.getElementById("copy-status");
  if (!button || !navigator.clipboard) {
    return;
  }
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(button.dataset.copy).then(function () {
      status.textContent = button.dataset.done;
    });
  });
})();
