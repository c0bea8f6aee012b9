// The lowest configuration layer: what orchd does when no file, project or request says otherwise. The effective
// configuration always has every key of this shape, so consumers never check for absent values.
import type { ApprovalPolicy } from '../../protocol/approvals.js';
import type { Profile } from '../../protocol/executors.js';
import type { ProjectRetention, ScriptSpec } from '../../protocol/project.js';
import type * as v from 'valibot';

type Script = v.InferOutput<typeof ScriptSpec>;

/** The configuration every consumer reads: every key present, lists and objects resolved across the layers. */
export interface EffectiveConfig {
  scripts: { setup: Script[]; setupMode: 'sequential' | 'parallel'; cleanup: Script[]; archive: Script[]; devServer: Script | null };
  copyFiles: string[];
  autoCommit: boolean;
  branchPrefix: string;
  approvals: ApprovalPolicy;
  /** Real `env` values and `{env}` references: never leaves the engine unmasked. */
  profiles: Record<string, Profile>;
  retention: ProjectRetention;
  terminal: { scrollbackBytes: number; shell: string };
}

/** Scrollback a terminal keeps when neither the request nor the configuration says. */
export const DEFAULT_SCROLLBACK_BYTES = 4 * 1024 * 1024;

/** The built-in defaults. `terminal.shell` comes from orchd's own environment: $SHELL, else /bin/sh. */
export function builtInDefaults(env: NodeJS.ProcessEnv = process.env): EffectiveConfig {
  return {
    scripts: { setup: [], setupMode: 'sequential', cleanup: [], archive: [], devServer: null },
    copyFiles: [],
    autoCommit: true,
    branchPrefix: 'orchd',
    approvals: { rules: [], defaultRules: true, timeoutSeconds: null, onTimeout: 'deny' },
    profiles: {},
    retention: {},
    terminal: { scrollbackBytes: DEFAULT_SCROLLBACK_BYTES, shell: env.SHELL || '/bin/sh' },
  };
}
