// Work cut into slices, run round-robin with a time budget per turn of the event loop shared by every producer.
// The output capture of every running process takes its lines through one of these (engine.lineWork): with a budget
// per stream, eight flooding agents made a turn eight times as long, and a host request waited for all of it.

import { onNextTurn } from './next-turn.js';

/** Slice work all producers together may do in one turn of the event loop (at least one slice always runs). */
export const TURN_SLICE_BUDGET_MS = 1;

/** One slice of a producer's work; returns true while it has more. */
export type Slice = () => boolean;

export class TurnSlicer {
  private readonly tasks: Slice[] = [];
  private readonly schedule = onNextTurn(() => this.run());
  // Slices do not step aside for host requests: when they did (as group commits once did), a host sending requests
  // back to back held the agents to 40% of their throughput. Requests are dispatched in the turn they are read.
  constructor(
    private readonly budgetMs = TURN_SLICE_BUDGET_MS,
    /** A slice that throws is a bug in its producer: the producer is dropped, the others go on, and this hears of it. */
    private readonly onError: (error: unknown) => void = rethrowLater,
  ) {}

  /** Run `task` a slice at a time, from the next turn on, until it returns false. */
  add(task: Slice): void {
    this.tasks.push(task);
    this.schedule();
  }

  /** Producers with work left. */
  get pending(): number {
    return this.tasks.length;
  }


  private run(): void {
    const started = performance.now();
    let ran = false;
    while (this.tasks.length > 0 && (!ran || performance.now() - started < this.budgetMs)) {
      ran = true;
      // Round-robin: the task goes to the back after its slice, so producers take turns within and across turns.
      const task = this.tasks.shift()!;
      try {
        if (task()) this.tasks.push(task);
      } catch (error) {
        this.onError(error);
      }
    }
    if (this.tasks.length > 0) this.schedule();
  }
}

function rethrowLater(error: unknown): void {
  queueMicrotask(() => {
    throw error;
  });
}
