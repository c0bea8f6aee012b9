// One sealed environment per real-agent run: its own HOME and config dirs inside the test's temp dir, config files
// that point the CLI at the mock model, and nothing inherited that could reach a real account or the network.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { AgentId } from './install.js';

export interface IsolationOptions {
  /** A fresh directory for this run; becomes HOME. */
  home: string;
  /** The mock model's base URL, e.g. http://127.0.0.1:PORT (no /v1). */
  mockUrl: string;
}

/** The model name every OpenAI-compatible CLI is told to use; the mock echoes it back. */
export const MOCK_MODEL = 'mock-model';

/** A complete environment for `id` (not merged with process.env): spawn the CLI with exactly this. */
export function agentEnvironment(id: AgentId, options: IsolationOptions): Record<string, string> {
  const { home } = options;
  const base: Record<string, string> = {
    HOME: home,
    USER: process.env.USER ?? 'orchd-test',
    LANG: 'C.UTF-8',
    TERM: 'dumb',
    NO_COLOR: '1',
    // The CLIs' postinstall-linked binaries need nothing else, but the JS ones run on `node`, found through PATH.
    PATH: [dirname(process.execPath), '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'].join(':'),
    TMPDIR: process.env.TMPDIR ?? '/tmp',
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_DATA_HOME: join(home, '.local', 'share'),
    XDG_STATE_HOME: join(home, '.local', 'state'),
    XDG_CACHE_HOME: join(home, '.cache'),
    // Tool calls that commit, and git in a fresh HOME, need an identity.
    GIT_AUTHOR_NAME: 'orchd test',
    GIT_AUTHOR_EMAIL: 'test@example.com',
    GIT_COMMITTER_NAME: 'orchd test',
    GIT_COMMITTER_EMAIL: 'test@example.com',
  };
  for (const key of ['XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'XDG_STATE_HOME', 'XDG_CACHE_HOME'] as const) mkdirSync(base[key]!, { recursive: true });
  return { ...base, ...PER_AGENT[id](options) };
}

const PER_AGENT: Record<AgentId, (options: IsolationOptions) => Record<string, string>> = {
  claude: ({ home, mockUrl }) => ({
    CLAUDE_CONFIG_DIR: ensureDir(join(home, '.claude')),
    ANTHROPIC_BASE_URL: mockUrl,
    ANTHROPIC_API_KEY: 'sk-ant-mock',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_AUTOUPDATER: '1',
    DISABLE_ERROR_REPORTING: '1',
    // As root, --dangerously-skip-permissions refuses to run unless the CLI is told it is in a sandbox.
    ...(process.getuid?.() === 0 ? { IS_SANDBOX: '1' } : {}),
  }),

  codex: ({ home, mockUrl }) => {
    const codexHome = ensureDir(join(home, '.codex'));
    // OPENAI_BASE_URL alone is ignored by 0.169, and a built-in provider tries WebSockets first: use a custom one.
    writeFileSync(
      join(codexHome, 'config.toml'),
      [
        'model = "gpt-5.5"', // a known slug; an unknown one adds a "model metadata" error item to every turn
        'model_provider = "mock"',
        'check_for_update_on_startup = false',
        '',
        '[model_providers.mock]',
        'name = "Mock"',
        `base_url = "${mockUrl}/v1"`,
        'wire_api = "responses"', // "chat" is rejected by 0.169
        'env_key = "MOCK_API_KEY"',
        'request_max_retries = 0', // the error scenario should fail fast, not after backoff
        'stream_max_retries = 0',
        '',
        '[analytics]',
        'enabled = false',
        '',
      ].join('\n'),
    );
    return { CODEX_HOME: codexHome, MOCK_API_KEY: 'sk-mock' };
  },

  gemini: ({ home, mockUrl }) => {
    // Without selectedType gemini-api-key, the base URL alone selects a gateway auth that headless runs reject (exit 41).
    writeJson(join(home, '.gemini', 'settings.json'), {
      security: { auth: { selectedType: 'gemini-api-key' } },
      privacy: { usageStatisticsEnabled: false },
      telemetry: { enabled: false },
      general: { disableAutoUpdate: true, disableUpdateNag: true },
    });
    return { GOOGLE_GEMINI_BASE_URL: mockUrl, GEMINI_API_KEY: 'mock', GEMINI_CLI_TRUST_WORKSPACE: 'true' };
  },

  qwen: ({ home, mockUrl }) => {
    writeJson(join(home, '.qwen', 'settings.json'), {
      security: { auth: { selectedType: 'openai' } },
      privacy: { usageStatisticsEnabled: false },
      telemetry: { enabled: false },
      general: { disableAutoUpdate: true, disableUpdateNag: true },
    });
    return { OPENAI_BASE_URL: `${mockUrl}/v1`, OPENAI_API_KEY: 'sk-mock', OPENAI_MODEL: MOCK_MODEL };
  },

  opencode: ({ mockUrl }) => ({
    OPENCODE_CONFIG_CONTENT: JSON.stringify({
      model: `mock/${MOCK_MODEL}`,
      autoupdate: false,
      share: 'disabled',
      permission: { edit: 'allow', bash: 'allow', webfetch: 'deny' },
      provider: {
        // @ai-sdk/openai-compatible is bundled in the binary, so nothing is fetched.
        mock: { npm: '@ai-sdk/openai-compatible', name: 'Mock', options: { baseURL: `${mockUrl}/v1`, apiKey: 'sk-mock' }, models: { [MOCK_MODEL]: { name: 'Mock Model', tool_call: true } } },
      },
    }),
    OPENCODE_DISABLE_MODELS_FETCH: '1',
    OPENCODE_DISABLE_AUTOUPDATE: '1',
    OPENCODE_DISABLE_LSP_DOWNLOAD: '1',
    OPENCODE_DISABLE_SHARE: '1',
  }),
};

function ensureDir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}

function writeJson(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}
