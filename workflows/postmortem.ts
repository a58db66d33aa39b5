// Pure and deterministic: used by the review workflow's validator and by the drafting activity.

/** `[placeholder]` left from the template; markdown links and checkboxes are not placeholders. */
const PLACEHOLDER = /\[(?![ xX]\])[^\]\n]*\](?!\()/;

function sections(markdown: string): Map<string, string> {
  const found = new Map<string, string>();
  let current: string | undefined;
  for (const line of markdown.split('\n')) {
    const heading = /^##\s+(.+?)\s*$/.exec(line);
    if (heading) {
      current = heading[1]!.toLowerCase();
      found.set(current, '');
    } else if (current !== undefined) {
      found.set(current, `${found.get(current)}${line}\n`);
    }
  }
  return found;
}

/** Headings, table scaffolding and blank lines carry no content. */
function hasContent(body: string): boolean {
  return body.split('\n').some((line) => {
    const text = line.trim();
    if (!text || /^\|?[\s|:-]*\|?$/.test(text)) return false;
    if (/^\|\s*Action\s*\|\s*Owner\s*\|/i.test(text)) return false;
    return true;
  });
}

/** Required sections that are missing, empty, or still hold template placeholders. */
export function incompleteSections(markdown: string, required: string[]): string[] {
  const found = sections(markdown);
  return required.filter((name) => {
    const body = found.get(name.toLowerCase());
    return body === undefined || !hasContent(body) || PLACEHOLDER.test(body);
  });
}
