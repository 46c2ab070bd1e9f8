// Progressive enhancements of server-rendered forms (the pages work without them):
// - a[data-confirm][data-confirm-form]: a link to a confirmation page (machine delete, key
//   regeneration); with JavaScript a confirm() dialog asks instead and, on yes, submits the
//   page's hidden form of that id (it carries the CSRF token);
// - form[data-confirm]: asks before submitting;
// - button[data-copy] (hidden in the markup): shown, copies the value of the element it names.
const COPIED_MS = 2000;

export function enhanceForms(root = document) {
  for (const link of root.querySelectorAll("a[data-confirm][data-confirm-form]")) {
    link.addEventListener("click", (event) => {
      const form = document.getElementById(link.dataset.confirmForm);
      if (!form) return; // follow the link to the confirmation page
      event.preventDefault();
      if (window.confirm(link.dataset.confirm)) form.submit();
    });
  }
  for (const form of root.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
  for (const button of root.querySelectorAll("button[data-copy]")) {
    const label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", async () => {
      const source = document.getElementById(button.dataset.copy);
      if (!source) return;
      const ok = await copyText(source);
      button.textContent = ok ? "Copied" : "Press Ctrl+C";
      setTimeout(() => { button.textContent = label; }, COPIED_MS);
    });
  }
}

// The asynchronous clipboard API needs a secure context (HTTPS or localhost); over plain HTTP
// the text is selected and copied with the older execCommand, or left selected for the user.
async function copyText(source) {
  const text = source.value ?? source.textContent;
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      // permission refused: fall through to the selection
    }
  }
  source.focus?.();
  source.select?.();
  try {
    return document.execCommand("copy");
  } catch {
    return false;
  }
}
