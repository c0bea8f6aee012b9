// Every raw-log format orchd reads, by name: where a normalizer is looked up by format rather than by executor (a
// recorded log replayed with `orchd entries`, the tests that read every capture). Executors pick theirs in
// src/executors/*.ts (`createNormalizer`); the registry (src/executors/registry.ts) guards them all (guard.ts).
import { createAcpNormalizer } from './acp.js';
import { createClaudeNormalizer } from './claude-stream-json.js';
import { createCodexNormalizer } from './codex-app-server.js';
import { createCursorNormalizer } from './cursor-stream-json.js';
import { createDroidNormalizer } from './droid-stream-json.js';
import { createGeminiNormalizer, createGeminiStreamJsonNormalizer } from './gemini-stream-json.js';
import { createOpencodeRunNormalizer } from './opencode.js';
import type { NormalizerFactory } from './types.js';

export interface NormalizerFormat {
  create: NormalizerFactory;
  /** What writes this format. */
  description: string;
}

export const NORMALIZER_FORMATS = {
  'claude-stream-json': { create: createClaudeNormalizer, description: 'Claude Code `--output-format stream-json` (and its control protocol); Qwen Code and the scripted agent write it too' },
  codex: { create: createCodexNormalizer, description: '`codex app-server` JSON-RPC, and `codex exec --json`' },
  acp: { create: createAcpNormalizer, description: 'Agent Client Protocol (Gemini, Qwen and OpenCode with `--acp`/`acp`, any ACP agent)' },
  'gemini-stream-json': { create: createGeminiStreamJsonNormalizer, description: 'Gemini CLI `-p … --output-format stream-json`' },
  gemini: { create: createGeminiNormalizer, description: 'Gemini CLI, either format (ACP or stream-json), told apart by the first JSON line' },
  'opencode-run': { create: createOpencodeRunNormalizer, description: 'OpenCode `run --format json`' },
  'cursor-stream-json': { create: createCursorNormalizer, description: 'cursor-agent `-p --output-format stream-json`' },
  'droid-stream-json': { create: createDroidNormalizer, description: 'Factory droid `exec --output-format stream-json`' },
} satisfies Record<string, NormalizerFormat>;

export type NormalizerFormatName = keyof typeof NORMALIZER_FORMATS;

/** A fresh normalizer for a format by name. */
export function normalizerForFormat(name: NormalizerFormatName): NormalizerFactory {
  return NORMALIZER_FORMATS[name].create;
}
