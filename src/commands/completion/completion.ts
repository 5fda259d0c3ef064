/**
 * `dingo-recover completion [bash|zsh|fish]`: the script that makes Tab complete commands, flags,
 * run ids and scenario names. Each Tab runs `dingo-recover __complete WORD...`, answered from the
 * tree written at build time without loading the commands (completion-words.ts); where it offers
 * nothing (a file goes there), the shell completes file names.
 */
import { basename } from 'node:path';
import type { Argv } from 'yargs';
import { UsageError } from '../../core/errors.js';
import type { GlobalArgs } from '../flags/global.js';
import { invocation } from '../../core/invocation.js';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
type Shell = (typeof SHELLS)[number];

const BASH = `# dingo-recover completion for bash: add to ~/.bashrc
#   source <(dingo-recover completion bash)
_dingo_recover_complete() {
  local IFS=$'\\n'
  local words=("\${COMP_WORDS[@]:1:COMP_CWORD}")
  COMPREPLY=($(dingo-recover __complete "\${words[@]}" 2>/dev/null))
}
complete -o default -F _dingo_recover_complete dingo-recover
`;

const ZSH = `#compdef dingo-recover
# dingo-recover completion for zsh: add to ~/.zshrc (after compinit)
#   source <(dingo-recover completion zsh)
_dingo_recover_complete() {
  local -a found
  found=("\${(@f)$(dingo-recover __complete "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  found=("\${(@)found:#}")
  if (( \${#found} )); then compadd -- "\${(@)found}"; else _files; fi
}
compdef _dingo_recover_complete dingo-recover
`;

const FISH = `# dingo-recover completion for fish: save as ~/.config/fish/completions/dingo-recover.fish
#   dingo-recover completion fish > ~/.config/fish/completions/dingo-recover.fish
function __dingo_recover_complete
    set -l words (commandline -opc)[2..-1] (commandline -ct)
    set -l found (dingo-recover __complete $words 2>/dev/null)
    if test (count $found) -gt 0
        printf '%s\\n' $found
    else
        __fish_complete_path (commandline -ct)
    end
end
complete -c dingo-recover -f -a '(__dingo_recover_complete)'
`;

export function completionScript(shell: Shell): string {
  return { bash: BASH, zsh: ZSH, fish: FISH }[shell];
}

/** The shell asked for, else the login shell's ($SHELL), else bash. */
export function shellOf(asked: string | undefined, env: NodeJS.ProcessEnv = invocation().env): Shell {
  const name = asked ?? basename(env.SHELL ?? 'bash');
  if ((SHELLS as readonly string[]).includes(name)) return name as Shell;
  throw new UsageError(`no completion for the shell "${name}"`, {
    hint: `give one of ${SHELLS.join(', ')}: dingo-recover completion bash`,
  });
}

export const completionCommand = {
  command: 'completion [shell]',
  describe: 'Print the shell completion script (bash, zsh, fish): commands, flags, run ids, scenarios',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('shell', { type: 'string', choices: SHELLS, describe: 'the shell (default: the one $SHELL names, else bash)' })
      .example('source <(dingo-recover completion bash)', 'Tab-complete in this bash (add the line to ~/.bashrc)')
      .example('dingo-recover completion fish > ~/.config/fish/completions/dingo-recover.fish', 'for fish'),
  handler: (argv: GlobalArgs & { shell?: string }) => {
    invocation().stdout.write(completionScript(shellOf(argv.shell)));
  },
};
