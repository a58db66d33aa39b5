/** Shell completion scripts, made from the command tree itself (so they never fall behind it). */
import type { Command } from 'commander';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
type Shell = (typeof SHELLS)[number];

const longFlags = (c: Command) => c.options.map((o) => o.long).filter((f): f is string => Boolean(f));

export function completionScript(program: Command, shell: Shell): string {
  const commands = program.commands.map((c) => ({ name: c.name(), about: c.description().split('\n')[0]!, flags: longFlags(c) }));
  const globals = [...longFlags(program), '--help'];
  if (shell === 'fish') {
    const lines = [`complete -c incidentctl -f`];
    for (const c of commands)
      lines.push(`complete -c incidentctl -n '__fish_use_subcommand' -a ${c.name} -d ${JSON.stringify(c.about.slice(0, 60))}`);
    for (const c of commands)
      for (const f of c.flags) lines.push(`complete -c incidentctl -n '__fish_seen_subcommand_from ${c.name}' -l ${f.slice(2)}`);
    for (const f of globals) lines.push(`complete -c incidentctl -l ${f.slice(2)}`);
    return `${lines.join('\n')}\n`;
  }
  const cases = commands.map((c) => `    ${c.name}) opts="${[...c.flags, ...globals].join(' ')}" ;;`).join('\n');
  const bash = `_incidentctl() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" cmd="\${COMP_WORDS[1]}" opts
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "${commands.map((c) => c.name).join(' ')} ${globals.join(' ')}" -- "$cur")); return
  fi
  case "$cmd" in
${cases}
    *) opts="${globals.join(' ')}" ;;
  esac
  COMPREPLY=($(compgen -W "$opts" -- "$cur"))
}
complete -F _incidentctl incidentctl
`;
  // zsh runs the bash function through bashcompinit.
  return shell === 'zsh' ? `autoload -U +X bashcompinit && bashcompinit\n${bash}` : bash;
}
