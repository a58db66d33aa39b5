// Pure: which command lines are known to only read. A shipped or custom runbook step may run
// without approval only when its argv is one of these, for every value its parameters can take.
// Anything not listed here (another executable, verb, option or command) needs approval.

type Check = (args: string[]) => boolean;

const operands = (args: string[]) => args.filter((a) => !a.startsWith('-'));
const noneOf = (args: string[], banned: RegExp) => !args.some((a) => banned.test(a));

/** The first operand, skipping options; options that take a value are listed so their value is skipped too. */
function firstOperand(args: string[], valued: string[] = []): { at: number; value?: string } {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (valued.includes(a)) i++;
    else if (!a.startsWith('-')) return { at: i, value: a };
  }
  return { at: args.length };
}

const FIND_TESTS = new Set([
  '-xdev',
  '-mount',
  '-type',
  '-xtype',
  '-size',
  '-name',
  '-iname',
  '-path',
  '-ipath',
  '-regex',
  '-iregex',
  '-mtime',
  '-mmin',
  '-atime',
  '-amin',
  '-ctime',
  '-cmin',
  '-newer',
  '-maxdepth',
  '-mindepth',
  '-user',
  '-group',
  '-nouser',
  '-nogroup',
  '-perm',
  '-links',
  '-empty',
  '-readable',
  '-writable',
  '-executable',
  '-print',
  '-print0',
  '-printf',
  '-ls',
  '-prune',
  '-not',
  '-a',
  '-and',
  '-o',
  '-or',
  '-true',
  '-false',
  '-L',
  '-H',
  '-P',
  '-depth',
  '-daystart',
  '-noleaf',
]);

const REDIS_READ: Record<string, RegExp | true> = {
  INFO: true,
  PING: true,
  DBSIZE: true,
  TIME: true,
  LASTSAVE: true,
  TYPE: true,
  TTL: true,
  PTTL: true,
  EXISTS: true,
  SLOWLOG: /^(GET|LEN)$/i,
  MEMORY: /^(STATS|USAGE|DOCTOR|MALLOC-STATS)$/i,
  LATENCY: /^(LATEST|HISTORY|DOCTOR)$/i,
  CLIENT: /^(LIST|INFO|GETNAME)$/i,
  CONFIG: /^GET$/i,
};

export const READ_ONLY: Record<string, Check> = {
  systemctl: (a) =>
    /^(status|is-active|is-failed|is-enabled|show|cat|list-units|list-unit-files|list-timers|list-dependencies)$/.test(
      firstOperand(a, ['-n', '--lines', '-p', '--property', '-t', '--type', '--state']).value ?? '',
    ) && noneOf(a, /^(-H|--host|-M|--machine)/),
  top: (a) => noneOf(a, /^-[^-]*w/),
  df: () => true,
  free: () => true,
  du: () => true,
  tail: (a) => noneOf(a, /^(-f|-F|--follow)/),
  grep: () => true,
  last: () => true,
  ss: (a) => noneOf(a, /^(-K|--kill|-[A-Za-z]*K)/),
  find: (a) => a.every((x) => !x.startsWith('-') || FIND_TESTS.has(x) || /^[+-]?\d+[a-zA-Z]?$/.test(x)),
  'redis-cli': (a) => {
    const options = ['-h', '-p', '-n', '-a', '--user', '--pass', '-s', '-u'];
    const read = new Set(['--no-auth-warning', '--raw', '--no-raw', '--bigkeys', '--memkeys', '--hotkeys', '--stat', '--tls']);
    for (let i = 0; i < a.length && a[i]!.startsWith('-'); i++) {
      if (options.includes(a[i]!)) i++;
      else if (!read.has(a[i]!)) return false;
    }
    const { at, value } = firstOperand(a, options);
    if (value === undefined) return true;
    const rule = REDIS_READ[value.toUpperCase()];
    return rule === true || (rule !== undefined && rule.test(a[at + 1] ?? ''));
  },
  ufw: (a) => {
    const [verb, sub] = operands(a);
    return verb === 'status' || verb === 'show' || (verb === 'app' && /^(list|info)$/.test(sub ?? ''));
  },
  certbot: (a) => operands(a)[0] === 'certificates' && noneOf(a, /^--(renew|force|deploy|pre|post)/),
  openssl: (a) =>
    /^(s_client|x509|verify|version|ciphers)$/.test(a[0] ?? '') &&
    noneOf(a, /^-(out|sess_out|keylogfile|msgfile|writerand|CAcreateserial|signkey)$/),
};

/** True when this exact argv only reads; a non-enum placeholder stays as "{name}", which no rule accepts as a verb. */
export function isReadOnly(argv: string[]): boolean {
  const [name, ...args] = argv;
  const check = name ? READ_ONLY[name] : undefined;
  return Boolean(check?.(args));
}
