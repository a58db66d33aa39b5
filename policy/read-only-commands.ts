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

/**
 * The operands of args when every option is a known one (`--opt=value` included); undefined as soon as
 * one is not, since an unknown option may take the next word as its value and move the verb.
 */
function knownOptions(args: string[], flags: string[], valued: string[]): string[] | undefined {
  const found: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('-') || a === '-') found.push(a);
    else if (valued.includes(a)) i++;
    else if (flags.includes(a) || valued.some((v) => v.startsWith('--') && a.startsWith(`${v}=`))) continue;
    else return undefined;
  }
  return found;
}

const SYSTEMCTL_READ = /^(status|is-active|is-failed|is-enabled|show|cat|list-units|list-unit-files|list-timers|list-dependencies)$/;
const SYSTEMCTL_FLAGS = ['--no-pager', '-l', '--full', '-a', '--all', '--plain', '--no-legend', '-q', '--quiet', '-r', '--recursive'];
const SYSTEMCTL_VALUED = ['-n', '--lines', '-p', '--property', '-t', '--type', '--state', '-o', '--output'];
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1']);

export const READ_ONLY: Record<string, Check> = {
  // Every option known (e.g. `-o cat stop` is output mode "cat" and the verb "stop"), never another machine.
  systemctl: (a) => SYSTEMCTL_READ.test(knownOptions(a, SYSTEMCTL_FLAGS, SYSTEMCTL_VALUED)?.[0] ?? ''),
  top: (a) => noneOf(a, /^-[^-]*w/),
  df: () => true,
  free: () => true,
  du: () => true,
  tail: (a) => noneOf(a, /^(-f|-F|--follow)/),
  grep: () => true,
  last: () => true,
  // -K ends sockets; -D/--diag writes a dump to a file.
  ss: (a) => noneOf(a, /^(-K|--kill|--diag|-[A-Za-z]*[KD])/),
  find: (a) => a.every((x) => !x.startsWith('-') || FIND_TESTS.has(x) || /^[+-]?\d+[a-zA-Z]?$/.test(x)),
  'redis-cli': (a) => {
    // Only this machine's server: REDISCLI_AUTH would go wherever -h or -u points.
    const options = ['-h', '-p', '-n', '-a', '--user', '--pass', '-s'];
    const read = new Set(['--no-auth-warning', '--raw', '--no-raw', '--bigkeys', '--memkeys', '--hotkeys', '--stat', '--tls']);
    for (let i = 0; i < a.length && a[i]!.startsWith('-'); i++) {
      if (a[i] === '-h' && !LOCAL_HOSTS.has(a[i + 1] ?? '')) return false;
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
    // No writing files, and no engines or providers: they load code.
    noneOf(a, /^-(out|sess_out|keylogfile|msgfile|writerand|CAcreateserial|signkey|.*engine.*|provider.*|propquery)$/),
};

/** True when this exact argv only reads; a non-enum placeholder stays as "{name}", which no rule accepts as a verb. */
export function isReadOnly(argv: string[]): boolean {
  const [name, ...args] = argv;
  const check = name ? READ_ONLY[name] : undefined;
  return Boolean(check?.(args));
}
