// Rules decide some approvals before anyone is asked: the project's own (allow or deny by tool and pattern), then
// the built-in ones. The built-in rule set denies recursive deletes that reach outside the worktree.
import { isAbsolute, relative, resolve } from 'node:path';
import type { ApprovalRule } from '../../protocol/approvals.js';
import type { ApprovalAsk } from '../executors/types.js';

export interface RuleVerdict {
  action: 'allow' | 'deny';
  /** How the decision is recorded in `decidedBy`: `rule:<description>`. */
  rule: string;
  reason: string;
}

/** The text a rule's pattern is tested against: the command line, else the path, else the JSON input. */
export function subjectOf(ask: ApprovalAsk): string {
  const input = (ask.input ?? {}) as Record<string, unknown>;
  for (const key of ['command', 'cmd', 'file_path', 'path', 'url', 'pattern']) {
    const value = input[key];
    if (typeof value === 'string') return value;
    if (Array.isArray(value) && value.every((part) => typeof part === 'string')) return value.join(' ');
  }
  return JSON.stringify(ask.input ?? null);
}

const SHELL_TOOLS = /^(bash|shell|exec_command|run_shell_command|execute|command|terminal)$/i;

/** Words of a shell command, split on whitespace and the usual separators; quotes are stripped, not interpreted. */
function commandSegments(command: string): string[][] {
  return command
    .split(/&&|\|\||;|\||\n/)
    .map((segment) => segment.trim().split(/\s+/).filter(Boolean).map((word) => word.replace(/^['"]|['"]$/g, '')))
    .filter((words) => words.length > 0);
}

/** Targets of an `rm` that deletes recursively, or [] when the segment is not one. */
function recursiveRmTargets(words: string[]): string[] | null {
  let index = 0;
  while (index < words.length && /^(sudo|env|command|nice|\w+=.*)$/.test(words[index]!)) index++;
  if (words[index] !== 'rm' && !words[index]?.endsWith('/rm')) return null;
  const args = words.slice(index + 1);
  const recursive = args.some((a) => /^-[a-zA-Z]*[rR]/.test(a) || a === '--recursive');
  if (!recursive) return null;
  return args.filter((a) => !a.startsWith('-'));
}

/** Whether a command deletes recursively outside `cwd` (absolute paths, `~`, `..`, globs at the root). */
export function deletesOutside(command: string, cwd: string): string | null {
  for (const words of commandSegments(command)) {
    const targets = recursiveRmTargets(words);
    if (!targets) continue;
    for (const target of targets) {
      if (target.startsWith('~') || target.startsWith('$')) return target;
      const absolute = isAbsolute(target) ? target : resolve(cwd, target);
      const rel = relative(cwd, absolute);
      if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return target;
    }
  }
  return null;
}

function compile(pattern: string): RegExp | null {
  try {
    return new RegExp(pattern);
  } catch {
    return null;
  }
}

/** The first rule that decides this ask, or null when a person must. */
export function applyRules(ask: ApprovalAsk, rules: ApprovalRule[], options: { defaultRules: boolean; cwd: string }): RuleVerdict | null {
  const subject = subjectOf(ask);
  for (const rule of rules) {
    if (rule.tool !== '*' && rule.tool.toLowerCase() !== ask.tool.toLowerCase()) continue;
    if (rule.pattern !== undefined && !compile(rule.pattern)?.test(subject)) continue;
    const description = `${rule.tool}${rule.pattern ? ` /${rule.pattern}/` : ''}`;
    return { action: rule.action, rule: `rule:${description}`, reason: rule.reason ?? `${rule.action === 'allow' ? 'Allowed' : 'Denied'} by the project rule ${description}` };
  }
  if (options.defaultRules && SHELL_TOOLS.test(ask.tool)) {
    const target = deletesOutside(subject, options.cwd);
    if (target !== null) {
      return { action: 'deny', rule: 'rule:builtin/recursive-delete-outside-worktree', reason: `orchd denies recursive deletes outside the worktree (\`${target}\`)` };
    }
  }
  return null;
}
