// Approvals at the terminal: orchd sends `approval/request` to the CLI (it declared `capabilities.approvals`); the
// CLI asks the person one question at a time, or, with no terminal to ask, answers by the --yes rule.
import { createInterface } from 'node:readline';
import type { Approval, ApprovalAnswer } from '../../../protocol/approvals.js';

export const DENIED_AT_TERMINAL = 'denied at the terminal';
export const NO_TERMINAL = 'no terminal to ask; pass --yes to allow';

/** The question for one approval. */
export function approvalQuestion(approval: Pick<Approval, 'title' | 'tool'>): string {
  return `Allow ${approval.title ?? approval.tool}? [y]es / [n]o / [a]lways for this session: `;
}

/** The answer a typed line means, or null when it means nothing (ask again). */
export function parseApprovalAnswer(line: string): ApprovalAnswer | null {
  switch (line.trim().toLowerCase()) {
    case 'y':
    case 'yes':
      return { decision: 'allowOnce' };
    case 'n':
    case 'no':
      return { decision: 'deny', reason: DENIED_AT_TERMINAL };
    case 'a':
    case 'always':
      return { decision: 'allowSession' };
    default:
      return null;
  }
}

/** The answer when nobody can be asked: allow once with --yes, else deny and say how to allow. */
export function automaticAnswer(yes: boolean): ApprovalAnswer {
  return yes ? { decision: 'allowOnce' } : { decision: 'deny', reason: NO_TERMINAL };
}

/** Read one line from stdin after writing `question` (cooked mode: the terminal echoes and Ctrl-C stays a signal). */
export function askLine(question: string, signal: AbortSignal): Promise<string | null> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(null);
    // terminal: false keeps stdin out of raw mode; the terminal's line discipline does the editing.
    const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: false });
    let settled = false;
    const finish = (line: string | null) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      rl.close();
      resolve(line);
    };
    const onAbort = () => {
      process.stdout.write('\n');
      finish(null);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    rl.once('close', () => finish(null));
    rl.question(question, (line) => finish(line));
  });
}

export interface ApprovalPrompterOptions {
  /** Ask at the terminal (stdin is a terminal and not --json). */
  interactive: boolean;
  /** --yes: allow what nobody can be asked about. */
  yes: boolean;
  /** Ask one question; null when stdin ended or the approval was settled elsewhere. */
  ask?: (question: string, signal: AbortSignal) => Promise<string | null>;
  /** Resolves when the question may be asked: the live view has shown what came before the approval (approval-order.ts). */
  ready?: (approval: Approval, signal: AbortSignal) => Promise<void>;
  /** A question is about to be asked (true) or was answered (false): hold the live view meanwhile. */
  onAsking?: (asking: boolean) => void;
  /** What was decided, and whether a person or the --yes rule decided it. */
  onDecision?: (approval: Approval, answer: ApprovalAnswer, by: 'terminal' | 'rule') => void;
}

/** Answers `approval/request`s, asking one question at a time in arrival order. */
export class ApprovalPrompter {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly ask: (question: string, signal: AbortSignal) => Promise<string | null>;

  constructor(private readonly options: ApprovalPrompterOptions) {
    this.ask = options.ask ?? askLine;
  }

  /** The answer to one approval; `signal` aborts when orchd no longer needs it (someone else answered, the run stopped). */
  answer(approval: Approval, signal: AbortSignal): Promise<ApprovalAnswer> {
    if (!this.options.interactive) {
      const answer = automaticAnswer(this.options.yes);
      this.options.onDecision?.(approval, answer, 'rule');
      return Promise.resolve(answer);
    }
    const turn = this.queue.then(() => this.askUntilAnswered(approval, signal));
    this.queue = turn.catch(() => {});
    return turn;
  }

  private async askUntilAnswered(approval: Approval, signal: AbortSignal): Promise<ApprovalAnswer> {
    // Settled while it waited its turn: nobody needs the answer, ask nothing.
    if (signal.aborted) return { decision: 'deny', reason: 'no longer needed' };
    // The tool line the question is about is shown first.
    await this.options.ready?.(approval, signal);
    if (signal.aborted) return { decision: 'deny', reason: 'no longer needed' };
    this.options.onAsking?.(true);
    try {
      let question = approvalQuestion(approval);
      for (;;) {
        const line = await this.ask(question, signal);
        if (line === null) {
          const answer: ApprovalAnswer = { decision: 'deny', reason: signal.aborted ? 'no longer needed' : DENIED_AT_TERMINAL };
          if (!signal.aborted) this.options.onDecision?.(approval, answer, 'terminal');
          return answer;
        }
        const answer = parseApprovalAnswer(line);
        if (answer) {
          this.options.onDecision?.(approval, answer, 'terminal');
          return answer;
        }
        question = `Please answer y, n or a. ${approvalQuestion(approval)}`;
      }
    } finally {
      this.options.onAsking?.(false);
    }
  }
}
