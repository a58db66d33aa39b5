// Secrets given to runbook commands must not reach the evidence table in any common spelling:
// as they are, hex, URL-encoded, or base64 (alone, or inside a longer base64 text at any alignment).

const MIN_SECRET = 4;
const MIN_FRAGMENT = 8;

/** The spellings of one secret that are replaced; each base64 fragment is one a longer text would contain. */
export function secretForms(secret: string): string[] {
  const bytes = Buffer.from(secret);
  const forms = new Set([secret, bytes.toString('hex'), bytes.toString('hex').toUpperCase(), encodeURIComponent(secret)]);
  for (const encoding of ['base64', 'base64url'] as const) {
    forms.add(bytes.toString(encoding));
    // At offset k in a longer text, only the 4-character groups made of the secret's bytes alone are fixed.
    for (const k of [0, 1, 2]) {
      const shifted = Buffer.concat([Buffer.alloc(k), bytes]);
      const fixed = shifted.subarray(k === 0 ? 0 : 3, Math.floor(shifted.length / 3) * 3);
      const fragment = fixed.toString(encoding).replace(/=+$/, '');
      if (fragment.length >= MIN_FRAGMENT) forms.add(fragment);
    }
  }
  return [...forms].filter((f) => f.length >= MIN_SECRET);
}

/** Replaces every occurrence of each secret value, in each of its spellings; values too short to be secrets are ignored. */
export function redactor(secrets: string[]): (text: string) => string {
  const values = [...new Set(secrets.filter((s) => s.length >= MIN_SECRET).flatMap(secretForms))].sort((a, b) => b.length - a.length);
  return (text) => values.reduce((acc, secret) => acc.split(secret).join('[redacted]'), text);
}

/** How far past an output cap to read so that a secret the cap would cut is still seen whole. */
export function redactionMargin(secrets: string[]): number {
  return Math.max(0, ...secrets.flatMap(secretForms).map((f) => Buffer.byteLength(f)));
}
