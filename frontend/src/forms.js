// Progressive enhancements of server-rendered forms: confirmation of destructive actions
// (form[data-confirm]) and copy buttons for API keys (button[data-copy] naming an input id).
export function enhanceForms(root = document) {
  for (const form of root.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
  for (const button of root.querySelectorAll("button[data-copy]")) {
    button.hidden = false;
    button.addEventListener("click", async (event) => {
      event.preventDefault();
      const source = document.getElementById(button.dataset.copy);
      if (!source) return;
      try {
        await navigator.clipboard.writeText(source.value ?? source.textContent);
      } catch {
        source.select?.();
        document.execCommand?.("copy");
      }
      button.textContent = "Copied";
    });
  }
}
