// `orchd run`: one agent run for a person at a terminal (or a script with --json), through the same protocol a host
// speaks to an in-process orchd: initialize → project → task → workspace → events/subscribe → session/start → live
// view until the session is idle → summary → shutdown/exit. Ctrl-C stops the agent; a second Ctrl-C quits at once.
import type { Approval } from '../../../protocol/approvals.js';
import type { Event, EventData } from '../../../protocol/events.js';
import type { Execution } from '../../../protocol/execution.js';
import type { RunArgs } from '../args.js';
import { connectDaemon, describeError, type DaemonClient } from '../local-daemon.js';
import { describeInCliWords, RUN_WORDS } from '../words.js';
import { ApprovalOrder } from './approval-order.js';
import { ApprovalPrompter } from './approvals-prompt.js';
import { checkAgent, createTaskAndWorkspace, discardWorkspace, findOrCreateProject, UsageError } from './prepare.js';
import { describeEnd, RunRenderer } from './render.js';
import { createStyle, wantsColor } from './style.js';
import { collectChanges, formatSummary, summaryRecord, type RunStatus, type RunSummary } from './summary.js';

export interface RunCommandOptions extends RunArgs {
  version: string;
}

/** The exit code when the run was stopped with Ctrl-C (128 + SIGINT). */
export const EXIT_STOPPED = 130;

/** Run the agent, show it, summarize; resolves with the process exit code. */
export async function runCommand(options: RunCommandOptions): Promise<number> {
  const stdoutTty = Boolean(process.stdout.isTTY) && !options.json;
  const style = createStyle(wantsColor({ isTty: stdoutTty, noColorFlag: options.noColor, env: process.env }));
  const fail = (message: string) => process.stderr.write(`orchd: ${message}\n`);

  let prompt = options.prompt;
  if (prompt === '-') prompt = await readStdin();
  if (!prompt.trim()) {
    fail('run: Expected a prompt on stdin, got nothing');
    return 2;
  }

  const renderer = options.json
    ? null
    : new RunRenderer({ write: (text) => void process.stdout.write(text), tty: stdoutTty, color: style.enabled, agent: options.agent ?? options.profile ?? 'agent', columns: () => process.stdout.columns });
  // --json keeps stdout for JSON lines and stderr for errors: the notes are for people watching the live view.
  const note = (text: string, tone: 'plain' | 'dim' | 'red' | 'green' | 'yellow' = 'plain') => renderer?.note(text, tone);
  let daemon: DaemonClient;
  try {
    daemon = await connectDaemon({ version: options.version, logLevel: options.logLevel, dataDir: options.dataDir });
  } catch (error) {
    renderer?.close();
    fail(describeError(error));
    return 1;
  }
  if (daemon.where !== 'inProcess') note(`· attached to the orchd service at ${daemon.where}`, 'dim');
  const run = new RunState(daemon, renderer, options.json);

  // Ctrl-C: stop the agent and finish with the summary; again: quit now (the host still stops its processes).
  let interrupts = 0;
  const quitNow = async (code: number) => {
    renderer?.close();
    await daemon.abandon().catch(() => {});
    process.exit(code);
  };
  const onSigint = () => {
    interrupts++;
    if (interrupts > 1) return void quitNow(EXIT_STOPPED);
    if (renderer) note('stopping… (Ctrl-C again to quit at once)', 'yellow');
    else process.stderr.write('orchd: stopping… (Ctrl-C again to quit at once)\n');
    renderer?.setPhase('stopping');
    run.stop();
  };
  const onTerminate = (signal: NodeJS.Signals) => void quitNow(signal === 'SIGHUP' ? 129 : 143);
  // Nobody reads stdout any more (`orchd run … | head`): stop everything rather than run on unseen.
  const onStdoutError = () => void quitNow(1);
  process.stdout.on('error', onStdoutError);
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onTerminate);
  process.on('SIGHUP', onTerminate);
  const ticker = stdoutTty ? setInterval(() => renderer?.tick(), 1000) : undefined;

  const order = new ApprovalOrder();
  const prompter = new ApprovalPrompter({
    interactive: !options.json && !options.yes && Boolean(process.stdin.isTTY),
    yes: options.yes,
    ready: (approval, signal) => order.ready(approval, signal),
    onAsking: (asking) => {
      if (asking) renderer?.hold();
      renderer?.setPhase(asking ? 'waiting for approval' : run.stopRequested ? 'stopping' : 'running');
      if (!asking) renderer?.release();
    },
    // A rule's decision shows on the tool call itself (its denial says how to allow); a person's answer is echoed.
    onDecision: (approval, answer, by) => {
      if (by === 'terminal') note(describeDecision(approval, answer.decision), answer.decision === 'deny' ? 'yellow' : 'dim');
    },
  });
  daemon.connection.onRequest('approval/request', (params: { approval: Approval }, token) => {
    const controller = new AbortController();
    token.onCancellationRequested(() => controller.abort());
    return prompter.answer(params.approval, controller.signal);
  });
  daemon.connection.onNotification('events/event', (params: { subscriptionId: string; event: Event }) => {
    run.event(params.event);
    order.shown(params.event);
  });

  try {
    await daemon.initialize({ clientName: 'orchd-cli', approvals: true });
    renderer?.setPhase('preparing');
    if (options.agent !== undefined) await checkAgent(daemon, options.agent);
    const { project, created } = await findOrCreateProject(daemon, options.repo ?? process.cwd());
    const { task, workspace } = await createTaskAndWorkspace(daemon, project.id, prompt, options.base);
    const bases = [...new Set(workspace.repositories.map((r) => r.baseBranch))].join(', ');
    note(`· project ${project.name}${created ? ' (new)' : ''} · task ${task.id}`, 'dim');
    note(`· worktree ${workspace.repositories.length === 1 ? workspace.repositories[0]!.path : workspace.path} on ${workspace.branch} (from ${bases})`, 'dim');
    await daemon.request('events/subscribe', { filter: { workspaceId: workspace.id } });

    if (run.stopRequested) {
      // Ctrl-C before the agent started: nothing ran, so nothing is kept.
      await discardWorkspace(daemon, workspace);
      renderer?.close();
      fail('stopped before the agent started; the task and workspace were removed');
      return EXIT_STOPPED;
    }
    const session = await daemon
      .request('session/start', {
        workspaceId: workspace.id,
        prompt,
        ...(options.agent !== undefined ? { executor: options.agent } : {}),
        ...(options.profile !== undefined ? { profile: options.profile } : {}),
        ...(options.model !== undefined ? { model: options.model } : {}),
        ...(options.permissionMode !== undefined ? { permissionMode: options.permissionMode } : {}),
      })
      .then(
        (result) => result.session,
        async (error: unknown) => {
          // Nothing ran: leave no empty workspace and task behind.
          await discardWorkspace(daemon, workspace);
          throw error;
        },
      );
    renderer?.setAgent(session.executor);
    await run.started(session.id);
    renderer?.close();

    const { status, reason, exitCode } = run.outcome();
    const { diff, commits } = await collectChanges(daemon, workspace);
    const summary: RunSummary = {
      status,
      reason,
      exitCode,
      agent: run.agent ?? options.agent ?? options.profile ?? 'agent',
      elapsedMs: renderer?.elapsedMs() ?? run.elapsedMs(),
      projectId: project.id,
      taskId: task.id,
      sessionId: session.id,
      workspace,
      diff,
      commits,
    };
    if (options.json) process.stdout.write(`${JSON.stringify(summaryRecord(summary))}\n`);
    else process.stdout.write(formatSummary(summary, style));
    return exitCode;
  } catch (error) {
    renderer?.close();
    // In the words typed: `--repo`, not `repositories[0].path`.
    fail(describeInCliWords(error, RUN_WORDS));
    return error instanceof UsageError ? 2 : 1;
  } finally {
    if (ticker) clearInterval(ticker);
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onTerminate);
    process.off('SIGHUP', onTerminate);
    process.stdout.off('error', onStdoutError);
    await daemon.close();
  }
}

/** What the live events say about the run: the agent execution, idleness, stop requests. */
class RunState {
  stopRequested = false;
  agent: string | null = null;
  private sessionId: string | null = null;
  private readonly idleSessions = new Set<string>();
  private idleWaiter: (() => void) | null = null;
  private agentExecution: Execution | null = null;
  private lastError: string | null = null;
  private readonly startedAt = Date.now();

  constructor(
    private readonly daemon: DaemonClient,
    private readonly renderer: RunRenderer | null,
    private readonly json: boolean,
  ) {}

  event(event: Event): void {
    if (this.json) {
      if (event.kind === 'session/entryUpserted') process.stdout.write(`${JSON.stringify({ type: 'entry', entry: (event.data as EventData<'session/entryUpserted'>).entry })}\n`);
    } else {
      this.renderer?.event(event);
    }
    switch (event.kind) {
      case 'execution/started':
      case 'execution/exited': {
        const { execution } = event.data as EventData<'execution/exited'>;
        if (execution.runReason === 'codingAgent') {
          this.agentExecution = execution;
          if (execution.action.type === 'agent') this.agent = execution.action.executor;
        }
        return;
      }
      case 'notification': {
        const data = event.data as EventData<'notification'>;
        if (data.level === 'error') this.lastError = data.body || data.title;
        return;
      }
      case 'session/updated': {
        const { session } = event.data as EventData<'session/updated'>;
        if (session.status !== 'idle') return;
        this.idleSessions.add(session.id);
        if (session.id === this.sessionId) this.idleWaiter?.();
        return;
      }
      default:
        return;
    }
  }

  /** The session started: stop it if Ctrl-C came meanwhile, then wait until it is idle. */
  started(sessionId: string): Promise<void> {
    this.sessionId = sessionId;
    if (this.stopRequested) this.stop();
    if (this.idleSessions.has(sessionId)) return Promise.resolve();
    return new Promise((resolve) => {
      this.idleWaiter = resolve;
    });
  }

  /** Ask orchd to stop the session (or not to start it). */
  stop(): void {
    this.stopRequested = true;
    if (this.sessionId) {
      void this.daemon.request('session/stop', { sessionId: this.sessionId }).catch((error: unknown) => process.stderr.write(`orchd: ${describeError(error)}\n`));
    }
  }

  /** Status, reason and exit code: 0 when the agent completed, 130 when stopped here, else 1. */
  outcome(): { status: RunStatus; reason: string | null; exitCode: number } {
    const execution = this.agentExecution;
    if (this.stopRequested) return { status: 'stopped', reason: 'stopped at the terminal', exitCode: EXIT_STOPPED };
    if (!execution) return { status: 'notStarted', reason: this.lastError, exitCode: 1 };
    if (execution.status === 'completed') return { status: 'completed', reason: null, exitCode: 0 };
    if (execution.status === 'killed') return { status: 'stopped', reason: execution.reason, exitCode: 1 };
    return { status: 'failed', reason: describeEnd(execution) ?? this.lastError, exitCode: 1 };
  }

  elapsedMs(): number {
    return Date.now() - this.startedAt;
  }
}

function describeDecision(approval: Approval, decision: string): string {
  const what = approval.title ?? approval.tool;
  if (decision === 'deny') return `⊘ denied ${what}`;
  if (decision === 'allowSession') return `· allowed ${approval.tool} for the rest of the session`;
  return `· allowed ${what} once`;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}
