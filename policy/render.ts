// Pure and deterministic: imported by workflow code as well as by Node code.

/** Fills `{{name}}` placeholders; an unknown placeholder is left visible rather than silently blanked. */
export function renderTemplate(template: string, fields: Record<string, string | number | undefined>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (whole, name: string) => {
    const value = fields[name];
    return value === undefined ? whole : String(value);
  });
}

/** Escapes text for HTML and XML (the status page, confirmation pages and TwiML). */
export function escapeMarkup(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
