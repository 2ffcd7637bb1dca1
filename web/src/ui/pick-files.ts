/**
 * Opens the browser's file picker from code (the console's upload_file). It
 * must run inside a user gesture (a key press or click), which a typed
 * command is. Resolves with the files picked, or none if cancelled.
 */
export function pickFiles(multiple = true): Promise<File[]> {
  return new Promise((resolve) => {
    const input = document.createElement('input');
    input.type = 'file';
    input.multiple = multiple;
    input.style.display = 'none';
    const done = (files: File[]) => {
      input.remove();
      resolve(files);
    };
    input.addEventListener('change', () => done([...(input.files ?? [])]), { once: true });
    // Chromium and Firefox fire 'cancel' when the picker closes with nothing chosen.
    input.addEventListener('cancel', () => done([]), { once: true });
    document.body.append(input);
    input.click();
  });
}
