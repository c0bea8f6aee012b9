// One live terminal: its PTY (through the supervisor), output coalesced into `terminal/output` events, a headless
// emulator that follows the screen so the scrollback can be trimmed to a snapshot, and flow control that stops
// reading the PTY (the program blocks, as in a real terminal) instead of buffering when nobody can take more.
import xtermHeadless from '@xterm/headless';
import xtermSerialize from '@xterm/addon-serialize';
import type { Terminal as HeadlessTerminal } from '@xterm/headless';
import type { SerializeAddon as SerializeAddonType } from '@xterm/addon-serialize';
import type { Engine } from '../engine.js';
import type { EventScope } from '../events/log.js';
import type { PtyProcess } from '../supervisor/supervisor.js';
import { cachedStatement } from '../store/statement-cache.js';
import { trimChunks } from './store.js';

/** At most one `terminal/output` event per terminal in this many ms... */
export const COALESCE_MS = 16;
/** ...or at once when this many bytes wait. */
export const FLUSH_BYTES = 64 * 1024;
/** Input is written to the PTY in pieces of at most this size, one per turn. */
export const INPUT_CHUNK_BYTES = 64 * 1024;
/** Output handed to the writer and not yet committed, past which the PTY is not read (and again below LOW). */
const IN_FLIGHT_HIGH_BYTES = 1024 * 1024;
const IN_FLIGHT_LOW_BYTES = 256 * 1024;
/** Lines of history the headless emulator keeps for snapshots. */
const SNAPSHOT_SCROLLBACK_LINES = 1000;

const { Terminal } = xtermHeadless as unknown as { Terminal: typeof HeadlessTerminal };
const { SerializeAddon } = xtermSerialize as unknown as { SerializeAddon: typeof SerializeAddonType };

export interface TerminalRuntimeOptions {
  terminalId: string;
  scope: EventScope;
  cols: number;
  rows: number;
  /** Chunk number of the last chunk written before (0 for a new terminal). */
  outputSeq: number;
  scrollbackBytes: number;
}

export class TerminalRuntime {
  readonly terminalId: string;
  private readonly scope: EventScope;
  private outputSeqValue: number;
  /** The last chunk whose event is committed. */
  private committedSeq: number;
  private pending: string[] = [];
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  /** When the last chunk was cut (performance.now()). */
  private lastFlushAt = -Infinity;
  private inFlightBytes = 0;
  /** Bytes of chunks kept in the log since the last snapshot. */
  private keptBytes = 0;
  private readonly scrollbackBytes: number;
  private readonly screen: HeadlessTerminal;
  private readonly serializer: SerializeAddonType;
  private checkpointing = false;
  private pausedBy = new Set<'writer' | 'subscribers'>();
  private audienceTimer: NodeJS.Timeout | undefined;
  private writes: Promise<void> = Promise.resolve();
  private ended = false;
  /** Output is held (read, not yet cut into chunks) until `begin()`: `terminal/created` comes first in the log. */
  private holding = true;

  constructor(
    private readonly engine: Engine,
    readonly proc: PtyProcess,
    options: TerminalRuntimeOptions,
  ) {
    this.terminalId = options.terminalId;
    this.scope = options.scope;
    this.outputSeqValue = options.outputSeq;
    this.committedSeq = options.outputSeq;
    this.scrollbackBytes = options.scrollbackBytes;
    this.screen = new Terminal({ cols: options.cols, rows: options.rows, scrollback: SNAPSHOT_SCROLLBACK_LINES, allowProposedApi: true });
    this.serializer = new SerializeAddon();
    this.screen.loadAddon(this.serializer);
    proc.onData((data) => this.onData(data));
  }

  /** The last chunk number handed out (committed or about to be). */
  get outputSeq(): number {
    return this.outputSeqValue;
  }

  /** Type into the terminal: pieces of at most INPUT_CHUNK_BYTES, one per turn, so a big paste never holds the daemon. */
  async input(data: string): Promise<number> {
    const bytes = Buffer.byteLength(data, 'utf8');
    // Cut on code point boundaries: a piece never ends inside a surrogate pair.
    const pieceChars = INPUT_CHUNK_BYTES / 4;
    for (let at = 0; at < data.length; ) {
      let end = Math.min(data.length, at + pieceChars);
      if (end < data.length && /[\uD800-\uDBFF]/.test(data[end - 1]!)) end--;
      this.proc.write(data.slice(at, end));
      at = end;
      if (at < data.length) await new Promise((resolve) => setImmediate(resolve));
    }
    return bytes;
  }

  resize(cols: number, rows: number): void {
    this.proc.resize(cols, rows);
    this.screen.resize(cols, rows);
  }

  /** Everything read so far, committed: call once the process has exited, before recording the exit. */
  async drain(): Promise<void> {
    this.holding = false;
    this.flush();
    await this.writes;
    this.ended = true;
    clearTimeout(this.timer);
    clearTimeout(this.audienceTimer);
  }

  /** Free the emulator (after the exit is recorded). */
  dispose(): void {
    this.ended = true;
    clearTimeout(this.timer);
    clearTimeout(this.audienceTimer);
    this.screen.dispose();
  }

  /** `terminal/created` is committed: output may follow it into the log. */
  begin(): void {
    if (!this.holding) return;
    this.holding = false;
    if (this.pending.length) this.flush();
  }

  private onData(data: string): void {
    if (this.ended) return;
    this.pending.push(data);
    this.pendingBytes += data.length;
    if (this.holding) return;
    if (this.pendingBytes >= FLUSH_BYTES) this.flush();
    else if (this.timer === undefined) {
      // The first output after a quiet COALESCE_MS goes at once (a keystroke's echo); more waits out the window.
      const wait = this.lastFlushAt + COALESCE_MS - performance.now();
      if (wait <= 0) this.flush();
      else this.timer = setTimeout(() => this.flush(), Math.ceil(wait));
    }
  }

  /** Cut the waiting output into one chunk and hand it to the group commit. */
  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    this.lastFlushAt = performance.now();
    const data = this.pending.length === 1 ? this.pending[0]! : this.pending.join('');
    this.pending = [];
    this.pendingBytes = 0;
    const seq = ++this.outputSeqValue;
    const bytes = Buffer.byteLength(data, 'utf8');
    this.inFlightBytes += bytes;
    if (this.inFlightBytes >= IN_FLIGHT_HIGH_BYTES) this.pause('writer');
    const committed = this.engine.writer.write((emit) => emit('terminal/output', { terminalId: this.terminalId, seq, data }, this.scope));
    this.writes = this.writes.then(() =>
      committed.then(
        () => {
          this.committedSeq = seq;
          this.inFlightBytes -= bytes;
          this.keptBytes += bytes;
          if (this.inFlightBytes <= IN_FLIGHT_LOW_BYTES) this.unpause('writer');
          // The emulator follows committed chunks, so a snapshot taken in its write callback is the screen as of `seq`.
          this.screen.write(data, () => this.maybeCheckpoint(seq));
        },
        (error: unknown) => {
          this.inFlightBytes -= bytes;
          this.unpause('writer');
          this.engine.logger.error('could not persist terminal output', { terminalId: this.terminalId, error });
        },
      ),
    );
    this.watchAudience();
  }

  /** When every subscriber that would receive this terminal's output waits for its client, stop reading the PTY. */
  private watchAudience(): void {
    if (this.ended) return;
    const { total, paused } = this.engine.hub.audience('terminal/output', this.scope);
    if (total > 0 && paused === total) {
      this.pause('subscribers');
      this.audienceTimer ??= setTimeout(() => {
        this.audienceTimer = undefined;
        this.watchAudience();
      }, COALESCE_MS);
    } else {
      this.unpause('subscribers');
    }
  }

  private pause(why: 'writer' | 'subscribers'): void {
    if (this.pausedBy.size === 0) this.proc.pause();
    this.pausedBy.add(why);
  }

  private unpause(why: 'writer' | 'subscribers'): void {
    if (!this.pausedBy.delete(why) || this.pausedBy.size > 0 || this.ended) return;
    this.proc.resume();
  }

  /**
   * Past the scrollback bound, replace the kept chunks by a snapshot of the screen as of `seq` (serialized by the
   * emulator, which has taken exactly the chunks up to `seq`): the log keeps at most about twice the bound.
   */
  private maybeCheckpoint(seq: number): void {
    if (this.checkpointing || this.keptBytes < this.scrollbackBytes || seq !== this.committedSeq) return;
    this.checkpointing = true;
    const snapshot = this.serializer.serialize({ scrollback: SNAPSHOT_SCROLLBACK_LINES });
    const kept = this.keptBytes;
    const store = this.engine.store;
    const terminalId = this.terminalId;
    void this.engine.writer
      .write(() => {
        cachedStatement(store.sqlite, 'update terminals set snapshot = ?, snapshot_seq = ?, output_seq = max(output_seq, ?) where id = ?').run(snapshot, seq, seq, terminalId);
        trimChunks(store, terminalId, seq);
      })
      .then(
        () => (this.keptBytes -= kept),
        (error: unknown) => this.engine.logger.error('could not trim terminal scrollback', { terminalId, error }),
      )
      .finally(() => (this.checkpointing = false));
  }
}
