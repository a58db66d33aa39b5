/** Replaces every occurrence of each secret value; values too short to be secrets are ignored. */
export function redactor(secrets: string[]): (text: string) => string {
  const values = [...new Set(secrets.filter((s) => s.length >= 4))].sort((a, b) => b.length - a.length);
  return (text) => values.reduce((acc, secret) => acc.split(secret).join('[redacted]'), text);
}
