// Pure and deterministic: the workflow validates alert values with these before any step is planned,
// and the runbook worker checks every argv element again before it executes anything.

export const PARAM_TYPES = ['ip', 'ipv4', 'ipv6', 'hostname', 'enum', 'path', 'integer', 'word'] as const;
export type ParamType = (typeof PARAM_TYPES)[number];

export const PLACEHOLDER = /\{([a-z_][a-z0-9_]*)\}/;
export const placeholders = (template: string): string[] => [...template.matchAll(new RegExp(PLACEHOLDER.source, 'g'))].map((m) => m[1]!);

export interface ParamRule {
  type: ParamType;
  values?: string[];
  prefixes?: string[];
  min?: number;
  max?: number;
  stripPort?: boolean;
}

const MAX_VALUE = 253;
// Anything outside printable ASCII (control characters, NUL, newlines, unicode) is refused before typing.
const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;

function isIpv4(v: string): boolean {
  const parts = v.split('.');
  return parts.length === 4 && parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255);
}

function isIpv6(v: string): boolean {
  if (!/^[0-9A-Fa-f:.]+$/.test(v) || v.length > 45) return false;
  let head = v;
  let groupsForV4 = 0;
  const lastColon = v.lastIndexOf(':');
  if (v.slice(lastColon + 1).includes('.')) {
    if (!isIpv4(v.slice(lastColon + 1))) return false;
    head = v.slice(0, lastColon + 1) + '0';
    groupsForV4 = 1;
  }
  const halves = head.split('::');
  if (halves.length > 2) return false;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const all = halves.flatMap(groups);
  if (!all.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return false;
  const count = all.length + groupsForV4;
  return halves.length === 2 ? count <= 7 : count === 8;
}

function isHostname(v: string): boolean {
  if (v.length > 253) return false;
  return v.split('.').every((label) => /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(label));
}

/** Returns the value to use, or the reason it is refused. */
export function checkParam(rule: ParamRule, raw: string): { ok: true; value: string } | { ok: false; reason: string } {
  const bad = (reason: string) => ({ ok: false as const, reason });
  if (raw.length === 0) return bad('is empty');
  if (raw.length > MAX_VALUE && rule.type !== 'path') return bad(`is longer than ${MAX_VALUE} characters`);
  if (raw.length > 4096) return bad('is longer than 4096 characters');
  if (!PRINTABLE_ASCII.test(raw)) return bad('contains whitespace, control or non-ASCII characters');
  if (raw.startsWith('-')) return bad('starts with "-" and could pass as an option');
  let value = raw;
  switch (rule.type) {
    case 'ipv4':
      return isIpv4(value) ? { ok: true, value } : bad('is not an IPv4 address');
    case 'ipv6':
      return isIpv6(value) ? { ok: true, value } : bad('is not an IPv6 address');
    case 'ip':
      return isIpv4(value) || isIpv6(value) ? { ok: true, value } : bad('is not an IP address');
    case 'hostname': {
      if (rule.stripPort) {
        const m = /^(.+):(\d{1,5})$/.exec(value);
        if (m && !m[1]!.includes(':')) value = m[1]!;
      }
      return isHostname(value) ? { ok: true, value } : bad('is not a host name');
    }
    case 'enum':
      return rule.values?.includes(value) ? { ok: true, value } : bad(`is not one of ${(rule.values ?? []).join(', ')}`);
    case 'integer': {
      if (!/^\d{1,9}$/.test(value)) return bad('is not a whole number');
      const n = Number(value);
      if (n < (rule.min ?? 0) || (rule.max !== undefined && n > rule.max)) return bad(`is outside ${rule.min ?? 0}..${rule.max ?? '∞'}`);
      return { ok: true, value: String(n) };
    }
    case 'word':
      return /^[A-Za-z0-9][A-Za-z0-9._@:-]{0,127}$/.test(value) ? { ok: true, value } : bad('is not a plain word');
    case 'path': {
      if (!/^\/[A-Za-z0-9._@+/-]*$/.test(value)) return bad('is not an absolute path of plain characters');
      const segments = value.split('/').slice(1);
      if (segments.some((s, i) => s === '.' || s === '..' || (s === '' && i < segments.length - 1)))
        return bad('is not a normalised path ("." , ".." and "//" are refused)');
      const prefixes = rule.prefixes ?? [];
      const under = prefixes.some((p) => {
        const dir = p.endsWith('/') ? p : `${p}/`;
        return value === p || value === dir.slice(0, -1) || value.startsWith(dir) || p === '/';
      });
      return under ? { ok: true, value } : bad(`is not under ${prefixes.join(', ')}`);
    }
  }
}

/** Substitutes {name} placeholders; each template stays one argv element or one SQL argument. */
export function fillStepParams(template: string, values: Record<string, string>): string {
  return template.replace(new RegExp(PLACEHOLDER.source, 'g'), (_m, name: string) => values[name] ?? '');
}
