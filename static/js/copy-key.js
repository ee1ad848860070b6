// The "Copy" button beside a key shown once (People › API tokens). Without JavaScript the key stays
// in a read-only field to select and copy by hand; the button appears only where it can work.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("button[data-copy]").forEach((button) => {
    const input = document.getElementById(button.dataset.copy);
    const note = document.querySelector(`[data-copied="${button.dataset.copy}"]`);
    if (!input || !navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(input.value);
        if (note) note.textContent = "Copied.";
      } catch {
        input.select();
        if (note) note.textContent = "Select the token and copy it (Ctrl+C).";
      }
    });
  });
});
